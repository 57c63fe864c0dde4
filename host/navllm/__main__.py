from navllm.cli import main

raise SystemExit(main())
