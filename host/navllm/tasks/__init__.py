"""The task APIs' side of the host: what each task asks of a model.

``prompts`` holds the instructions per task and per provider kind (the only task prompting),
reply parsing and the echo backend's answers; ``proofread`` turns a corrected text into
corrections; ``detect`` identifies languages; ``languages`` says which a provider serves.
"""
