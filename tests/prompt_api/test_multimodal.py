"""Images and audio given to the Prompt API, decoded in the page, in real browsers on the echo
backend: every source type the specification accepts, and the error for each way one can fail
(as Chromium gives them and the conformance tests pin)."""

from __future__ import annotations

from tests.prompt_api.test_language_model import PREAMBLE

# Makes the media the checks below use, in the page: PNG and WAV bytes built here, elements
# loaded from them, and `check(type, value)`, which prompts with one part of that type and
# settles into "ok" (the echo shows the part as <image> or <audio>) or the error's name.
SETUP = """
    const png = await (async () => {
      const c = new OffscreenCanvas(16, 8);
      c.getContext("2d").fillRect(2, 2, 8, 4);
      return new Uint8Array(await (await c.convertToBlob({type: "image/png"})).arrayBuffer());
    })();
    const wavBytes = (() => {
      const frames = 1600, rate = 16000, out = new DataView(new ArrayBuffer(44 + frames * 2));
      const text = (at, s) => [...s].forEach((ch, i) => out.setUint8(at + i, ch.charCodeAt(0)));
      text(0, "RIFF"); out.setUint32(4, 36 + frames * 2, true); text(8, "WAVEfmt ");
      out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, 1, true);
      out.setUint32(24, rate, true); out.setUint32(28, rate * 2, true); out.setUint16(32, 2, true);
      out.setUint16(34, 16, true); text(36, "data"); out.setUint32(40, frames * 2, true);
      for (let i = 0; i < frames; i++) out.setInt16(44 + 2 * i, Math.round(8000 * Math.sin(i / 8)), true);
      return new Uint8Array(out.buffer);
    })();
    const padded = (bytes, pad) => {
      const buffer = new ArrayBuffer(pad + bytes.byteLength + pad);
      new Uint8Array(buffer, pad).set(bytes);
      return buffer;
    };
    const loaded = async (img, src) => { img.src = src; await img.decode(); return img; };
    const preamble = ARGS[ARGS.length - 1];
    const session = await LanguageModel.create({expectedInputs: [{type: "image"}, {type: "audio"}]});
    const check = async (type, value) => {
      try {
        const reply = await session.prompt([{role: "user", content: [{type: "text", value: type + ":"}, {type, value}]}]);
        return reply === preamble + type + ":<" + type + ">" ? "ok" : "reply " + reply;
      } catch (e) {
        return e instanceof DOMException ? e.name : e.constructor.name;
      }
    };
    const pngBlob = new Blob([png], {type: "image/png"});
    const pngUrl = URL.createObjectURL(pngBlob);
"""


def test_every_image_source_is_decoded(page):
    got = page.run(
        SETUP
        + """
        const canvas = document.createElement("canvas");
        canvas.width = 20; canvas.height = 10;
        canvas.getContext("2d").fillRect(0, 0, 5, 5);
        const offscreen = new OffscreenCanvas(12, 12);
        offscreen.getContext("2d").fillRect(0, 0, 3, 3);
        const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        const svgImage = document.createElementNS("http://www.w3.org/2000/svg", "image");
        svgImage.setAttribute("width", "16"); svgImage.setAttribute("height", "8");
        const svgLoaded = new Promise((resolve) => svgImage.addEventListener("load", resolve, {once: true}));
        svgImage.setAttribute("href", pngUrl);
        svg.append(svgImage); document.body.append(svg);
        await svgLoaded;
        const frame = document.createElement("iframe");
        document.body.append(frame);
        const other = frame.contentWindow;
        const buffer = padded(png, 256);
        return {
          blob: await check("image", pngBlob),
          file: await check("image", new File([png], "x.png")),
          arrayBuffer: await check("image", png.slice().buffer),
          dataView: await check("image", new DataView(png.slice().buffer)),
          viewWithOffset: await check("image", new Uint8Array(buffer, 256, png.byteLength)),
          dataViewWithOffset: await check("image", new DataView(buffer, 256, png.byteLength)),
          imageData: await check("image", new ImageData(4, 4)),
          imageBitmap: await check("image", await createImageBitmap(pngBlob)),
          videoFrame: typeof VideoFrame === "function" ? await check("image", new VideoFrame(canvas, {timestamp: 0})) : "absent",
          image: await check("image", await loaded(new Image(), pngUrl)),
          svgImage: await check("image", svgImage),
          canvas: await check("image", canvas),
          offscreenCanvas: await check("image", offscreen),
          fromAnotherFrame: await check("image", new other.Blob([png])),
          elementFromAnotherFrame: await check("image", await loaded(new other.Image(), pngUrl)),
        };
    """,
        PREAMBLE,
    )
    assert got == dict.fromkeys(got, "ok"), got
    assert len(got) == 15


def test_a_large_photo_fits_one_message(page):
    """A 6000x4000 image of noise (incompressible, ~90 MB as PNG) is scaled down and, being large
    still, sent as JPEG: the prompt goes through instead of exceeding the 8 MiB a message may take."""
    got = page.run(
        SETUP
        + """
        const big = new OffscreenCanvas(6000, 4000);
        const ctx = big.getContext("2d");
        const noise = new ImageData(600, 400);
        crypto.getRandomValues(noise.data.subarray(0, 65536));
        for (let i = 65536; i < noise.data.length; i += 65536) crypto.getRandomValues(noise.data.subarray(i, i + 65536));
        for (let x = 0; x < 6000; x += 600) for (let y = 0; y < 4000; y += 400) ctx.putImageData(noise, x, y);
        return {canvas: await check("image", big), bitmap: await check("image", await createImageBitmap(big))};
    """,
        PREAMBLE,
    )
    assert got == {"canvas": "ok", "bitmap": "ok"}


def test_image_failures_have_the_right_error(page, site):
    # A BMP (all of its bytes ASCII, so the test site can serve it) from the site's other
    # origin, without CORS: usable in an <img>, but it taints whatever it is drawn on.
    bmp = "BM" + "\x3a\0\0\0" + "\0" * 4 + "\x36\0\0\0" + "\x28\0\0\0" + "\x01\0\0\0" * 2 + "\x01\0\x18\0" + "\0" * 4
    bmp += "\x04\0\0\0" + "\0" * 16 + "\x10\x20\x30\0"
    site.add("prompt-api/pixel.bmp", bmp)
    got = page.run(
        SETUP
        + """
        const foreign = ARGS[0];
        const buffer = padded(png, 256);
        const closedBitmap = await createImageBitmap(pngBlob);
        closedBitmap.close();
        const tainted = document.createElement("canvas");
        const crossOrigin = await loaded(new Image(), foreign);
        tainted.getContext("2d").drawImage(crossOrigin, 0, 0);
        const broken = new Image();
        broken.src = URL.createObjectURL(new Blob(["not an image"]));
        await new Promise((resolve) => { broken.onerror = resolve; });
        const out = {
          undecodableBytes: await check("image", new Uint8Array([1, 2, 3, 4]).buffer),
          undecodableBlob: await check("image", new Blob(["not an image"])),
          // The view misses the image's start: the offset and length are honoured.
          offsetMissesTheImage: await check("image", new Uint8Array(buffer, 200, png.byteLength)),
          emptyView: await check("image", new Uint8Array(buffer, 256, 0)),
          imageWithoutSource: await check("image", new Image()),
          brokenImage: await check("image", broken),
          videoWithoutData: await check("image", document.createElement("video")),
          closedBitmap: await check("image", closedBitmap),
          emptyCanvas: await check("image", Object.assign(document.createElement("canvas"), {width: 0, height: 0})),
          crossOriginImage: await check("image", crossOrigin),
          taintedCanvas: await check("image", tainted),
          notASource: await check("image", {width: 1, height: 1}),
          aString: await check("image", "data:image/png;base64,"),
          audioAsImage: await check("image", new AudioBuffer({length: 16, sampleRate: 16000})),
        };
        if (typeof VideoFrame === "function") {
          const frame = new VideoFrame(await createImageBitmap(pngBlob), {timestamp: 0});
          frame.close();
          out.closedVideoFrame = await check("image", frame);
        }
        out.stillUsable = await check("image", pngBlob);
        return out;
    """,
        site.url("prompt-api/pixel.bmp", host="localhost"),
        PREAMBLE,
    )
    closed_frame = {"closedVideoFrame": "InvalidStateError"} if "closedVideoFrame" in got else {}
    assert got == {
        "undecodableBytes": "InvalidStateError",
        "undecodableBlob": "InvalidStateError",
        "offsetMissesTheImage": "InvalidStateError",
        "emptyView": "InvalidStateError",
        "imageWithoutSource": "InvalidStateError",
        "brokenImage": "InvalidStateError",
        "videoWithoutData": "InvalidStateError",
        "closedBitmap": "InvalidStateError",
        "emptyCanvas": "InvalidStateError",
        "crossOriginImage": "SecurityError",
        "taintedCanvas": "SecurityError",
        "notASource": "TypeError",
        "aString": "TypeError",
        "audioAsImage": "TypeError",
        **closed_frame,
        "stillUsable": "ok",
    }


def test_a_playing_video_is_one_image(page, browser):
    got = page.run(
        SETUP
        + """
        // A short WebM recorded here from a canvas, played in a <video>.
        const source = document.createElement("canvas");
        source.width = source.height = 32;
        const ctx = source.getContext("2d");
        const stream = source.captureStream(30);
        const recorder = new MediaRecorder(stream, {mimeType: "video/webm"});
        const parts = [];
        recorder.ondataavailable = (e) => parts.push(e.data);
        const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
        recorder.start();
        for (let i = 0; i < 15; i++) {
          ctx.fillStyle = i % 2 ? "red" : "blue";
          ctx.fillRect(0, 0, 32, 32);
          await new Promise((r) => setTimeout(r, 30));
        }
        recorder.stop();
        await stopped;
        const video = document.createElement("video");
        video.muted = true;
        video.src = URL.createObjectURL(new Blob(parts, {type: "video/webm"}));
        await new Promise((resolve, reject) => { video.onloadeddata = resolve; video.onerror = () => reject(new Error("video")); });
        // Chromium makes no image of a video's frame until it has played (crbug.com/417249941).
        const playing = new Promise((resolve) => { video.ontimeupdate = () => video.currentTime > 0 && resolve(); });
        await video.play();
        await playing;
        video.pause();
        return {playing: await check("image", video)};
    """,
        PREAMBLE,
    )
    assert got == {"playing": "ok"}


def test_every_audio_source_is_decoded(page):
    got = page.run(
        SETUP
        + """
        const buffer = padded(wavBytes, 100);
        const decoded = await new OfflineAudioContext(1, 1, 16000).decodeAudioData(wavBytes.slice().buffer);
        return {
          blob: await check("audio", new Blob([wavBytes], {type: "audio/wav"})),
          arrayBuffer: await check("audio", wavBytes.slice().buffer),
          view: await check("audio", wavBytes.slice()),
          viewWithOffset: await check("audio", new Uint8Array(buffer, 100, wavBytes.byteLength)),
          dataViewWithOffset: await check("audio", new DataView(buffer, 100, wavBytes.byteLength)),
          audioBuffer: await check("audio", decoded),
          stereoBuffer: await check("audio", new AudioBuffer({numberOfChannels: 2, length: 800, sampleRate: 8000})),
          // The page's bytes were copied when the call was made: changing them later changes nothing.
          mutatedAfter: await (async () => {
            const bytes = wavBytes.slice();
            const pending = check("audio", bytes);
            bytes.fill(0);
            return pending;
          })(),
        };
    """,
        PREAMBLE,
    )
    assert got == dict.fromkeys(got, "ok"), got
    assert len(got) == 8


def test_audio_failures_have_the_right_error(page):
    got = page.run(
        SETUP
        + """
        const buffer = padded(wavBytes, 100);
        return {
          imageBytesAsAudio: await check("audio", pngBlob),
          junk: await check("audio", new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])),
          offsetMissesTheAudio: await check("audio", new Uint8Array(buffer, 50, wavBytes.byteLength)),
          canvasAsAudio: await check("audio", document.createElement("canvas")),
          notASource: await check("audio", {}),
          aNumber: await check("audio", 5),
          stillUsable: await check("audio", wavBytes),
        };
    """,
        PREAMBLE,
    )
    assert got == {
        "imageBytesAsAudio": "DataError",
        "junk": "DataError",
        "offsetMissesTheAudio": "DataError",
        "canvasAsAudio": "TypeError",
        "notASource": "TypeError",
        "aNumber": "TypeError",
        "stillUsable": "ok",
    }


def test_media_in_initial_prompts_and_append(page):
    got = page.run(
        SETUP
        + """
        const initialPrompts = [{role: "user", content: [{type: "text", value: "see"}, {type: "image", value: pngBlob}]}];
        const options = {expectedInputs: [{type: "image"}, {type: "audio"}], initialPrompts};
        const s = await LanguageModel.create(options);
        const measured = await s.measureContextUsage(initialPrompts);
        await s.append([{role: "user", content: [{type: "audio", value: wavBytes}]}]);
        const failedCreate = await LanguageModel.create({
          ...options, initialPrompts: [{role: "user", content: [{type: "image", value: new Uint8Array(8)}]}],
        }).then(() => "created", (e) => e.name);
        return {usage: s.contextUsage, measured, reply: await s.prompt("and"), failedCreate};
    """,
        PREAMBLE,
    )
    # The echo counts 100 per image or audio part.
    assert got["measured"] == len("see") + 100
    assert got["usage"] == len("see") + 100 + 100
    assert got["reply"] == PREAMBLE + "see<image><audio>and"
    assert got["failedCreate"] == "InvalidStateError"


def test_media_given_as_text(page):
    """A text part's value is a union of the media types and a string: a medium given as text is
    Chromium's SyntaxError (the specification says TypeError); anything else becomes a string."""
    got = page.run(
        SETUP
        + """
        const text = async (value) => {
          try {
            return await session.prompt([{role: "user", content: [{type: "text", value}]}]);
          } catch (e) {
            return e instanceof DOMException ? e.name : e.constructor.name;
          }
        };
        const img = await loaded(new Image(), pngUrl);
        return {
          image: await text(img),
          blob: await text(pngBlob),
          bytes: await text(wavBytes),
          buffer: await text(wavBytes.buffer),
          audio: await text(new AudioBuffer({length: 16, sampleRate: 16000})),
          bitmap: await text(await createImageBitmap(pngBlob)),
          number: await text(5),
          object: await text({}),
          nil: await text(null),
          symbol: await text(Symbol("s")),
        };
    """,
        PREAMBLE,
    )
    assert got == {
        "image": "SyntaxError",
        "blob": "SyntaxError",
        "bytes": "SyntaxError",
        "buffer": "SyntaxError",
        "audio": "SyntaxError",
        "bitmap": "SyntaxError",
        "number": PREAMBLE + "5",
        "object": PREAMBLE + "[object Object]",
        "nil": PREAMBLE + "null",
        "symbol": "TypeError",
    }
