"""Tool calls a page supplies as history (an earlier turn it kept, or edited), in real browsers
on the echo backend: accepted in assistant messages when expectedInputs has 'tool-call', passed
to the model as they were given, and refused with the Prompt API's errors otherwise."""

from __future__ import annotations

PREAMBLE = "On-device model is not available in Chromium, this API is just echoing back the input:\n"


def test_tool_calls_in_history_reach_the_model(page):
    got = page.run("""
        const tool = {name: "lookup", description: "Look up. Args: {}", inputSchema: {type: "object", properties: {}}};
        const options = {expectedInputs: [{type: "tool-call"}, {type: "tool-response"}], expectedOutputs: [{type: "tool-call"}], tools: [tool]};
        const call = (callID, args) => ({type: "tool-call", value: new LanguageModelToolCall({callID, name: "lookup", arguments: args})});
        const seeded = await LanguageModel.create({...options,
          initialPrompts: [{role: "assistant", content: [call("a", {q: "x", n: [1, 2]}), call("b", undefined)]}]});
        const appended = await LanguageModel.create(options);
        await appended.append([
          {role: "assistant", content: [call("c", {q: "y"})]},
          {role: "user", content: [{type: "tool-response", value: new LanguageModelToolSuccess({callID: "c", name: "lookup", result: [{type: "text", value: "found"}]})}]},
        ]);
        return {seeded: await seeded.prompt("go"), appended: await appended.prompt("go")};
    """)
    assert got == {
        "seeded": PREAMBLE
        + '<tool-call>{"callID": "a", "name": "lookup", "arguments": {"q": "x", "n": [1, 2]}}</tool-call>'
        + '<tool-call>{"callID": "b", "name": "lookup", "arguments": {}}</tool-call>go',
        "appended": PREAMBLE
        + '<tool-call>{"callID": "c", "name": "lookup", "arguments": {"q": "y"}}</tool-call>'
        + '<tool-response>{"callID": "c", "name": "lookup", "result": ["found"]}</tool-response>go',
    }


def test_tool_calls_in_history_are_checked(page):
    got = page.run("""
        const tool = {name: "lookup", description: "Look up.", inputSchema: {type: "object", properties: {}}};
        const declared = await LanguageModel.create({expectedInputs: [{type: "tool-call"}], expectedOutputs: [{type: "tool-call"}], tools: [tool]});
        const undeclared = await LanguageModel.create({expectedOutputs: [{type: "tool-call"}], tools: [tool]});
        const name = async (p) => { const r = await outcome(p); return r.ok ? "ok" : r.ctor === "DOMException" ? r.name : r.ctor; };
        const call = (args) => ({type: "tool-call", value: new LanguageModelToolCall({callID: "1", name: "lookup", arguments: args})});
        const cyclic = {}; cyclic.self = cyclic;
        return {
          array: await name(declared.prompt([{role: "assistant", content: [call([1])]}])),
          cyclic: await name(declared.prompt([{role: "assistant", content: [call(cyclic)]}])),
          fromUser: await name(declared.prompt([{role: "user", content: [call({})]}])),
          notAToolCall: await name(declared.prompt([{role: "assistant", content: [{type: "tool-call", value: {callID: "1", name: "lookup"}}]}])),
          responseFromAssistant: await name(declared.prompt([{role: "assistant", content: [{type: "tool-response",
            value: new LanguageModelToolError({callID: "1", name: "lookup", errorMessage: "e"})}]}])),
          imageFromAssistant: await name(declared.prompt([{role: "assistant", content: [{type: "image", value: new Blob()}]}])),
          undeclared: await name(undeclared.prompt([{role: "assistant", content: [call({})]}])),
          stillUsable: await name(declared.prompt("hi")),
        };
    """)
    assert got == {
        "array": "DataError",
        "cyclic": "DataError",
        "fromUser": "TypeError",
        "notAToolCall": "TypeError",
        "responseFromAssistant": "TypeError",
        "imageFromAssistant": "NotSupportedError",
        "undeclared": "NotSupportedError",
        "stillUsable": "ok",
    }
