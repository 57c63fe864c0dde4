"""Where each browser reads host manifests, computed for every OS (pure functions)."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest

from navllm.install.locations import BROWSERS, all_locations, location, user_data_dir_location

HOME = PurePosixPath("/home/ann")
MAC = PurePosixPath("/Users/ann")
WIN = PureWindowsPath(r"C:\Users\ann")
NAME = "org.navllm.host.json"

LINUX = {
    "chrome": "/home/ann/.config/google-chrome/NativeMessagingHosts",
    "chrome-beta": "/home/ann/.config/google-chrome-beta/NativeMessagingHosts",
    "chrome-unstable": "/home/ann/.config/google-chrome-unstable/NativeMessagingHosts",
    "chromium": "/home/ann/.config/chromium/NativeMessagingHosts",
    "edge": "/home/ann/.config/microsoft-edge/NativeMessagingHosts",
    "brave": "/home/ann/.config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "vivaldi": "/home/ann/.config/vivaldi/NativeMessagingHosts",
    "firefox": "/home/ann/.mozilla/native-messaging-hosts",
}
DARWIN = {
    "chrome": "Google/Chrome/NativeMessagingHosts",
    "chrome-beta": "Google/Chrome Beta/NativeMessagingHosts",
    "chrome-unstable": "Google/Chrome Dev/NativeMessagingHosts",
    "chromium": "Chromium/NativeMessagingHosts",
    "edge": "Microsoft Edge/NativeMessagingHosts",
    "brave": "BraveSoftware/Brave-Browser/NativeMessagingHosts",
    "vivaldi": "Vivaldi/NativeMessagingHosts",
    "firefox": "Mozilla/NativeMessagingHosts",
}
WINDOWS_KEYS = {
    "chrome": r"Software\Google\Chrome\NativeMessagingHosts\org.navllm.host",
    "chrome-beta": r"Software\Google\Chrome\NativeMessagingHosts\org.navllm.host",
    "chrome-unstable": r"Software\Google\Chrome\NativeMessagingHosts\org.navllm.host",
    "chromium": r"Software\Chromium\NativeMessagingHosts\org.navllm.host",
    "edge": r"Software\Microsoft\Edge\NativeMessagingHosts\org.navllm.host",
    "brave": r"Software\BraveSoftware\Brave-Browser\NativeMessagingHosts\org.navllm.host",
    "vivaldi": r"Software\Google\Chrome\NativeMessagingHosts\org.navllm.host",
    "firefox": r"Software\Mozilla\NativeMessagingHosts\org.navllm.host",
}


def test_every_browser_is_covered():
    assert set(BROWSERS) == set(LINUX) == set(DARWIN) == set(WINDOWS_KEYS)


@pytest.mark.parametrize("browser", sorted(LINUX))
def test_linux(browser):
    loc = location(browser, "linux", HOME, {})
    assert loc.manifest == PurePosixPath(LINUX[browser], NAME)
    assert loc.registry_key is None
    assert loc.family == ("firefox" if browser == "firefox" else "chromium")


def test_linux_config_overrides():
    env = {"XDG_CONFIG_HOME": "/xdg", "CHROME_CONFIG_HOME": "/chrome-home"}
    assert str(location("chromium", "linux", HOME, env).manifest) == f"/chrome-home/chromium/NativeMessagingHosts/{NAME}"
    # Brave ignores CHROME_CONFIG_HOME; Firefox only ever reads ~/.mozilla.
    assert str(location("brave", "linux", HOME, env).manifest) == f"/xdg/BraveSoftware/Brave-Browser/NativeMessagingHosts/{NAME}"
    assert str(location("edge", "linux", HOME, {"XDG_CONFIG_HOME": "/xdg"}).manifest) == f"/xdg/microsoft-edge/NativeMessagingHosts/{NAME}"
    assert str(location("firefox", "linux", HOME, env).manifest) == f"/home/ann/.mozilla/native-messaging-hosts/{NAME}"


@pytest.mark.parametrize("browser", sorted(DARWIN))
def test_macos(browser):
    loc = location(browser, "darwin", MAC, {})
    assert loc.manifest == MAC / "Library" / "Application Support" / DARWIN[browser] / NAME
    assert loc.registry_key is None


@pytest.mark.parametrize("browser", sorted(WINDOWS_KEYS))
def test_windows(browser):
    env = {"LOCALAPPDATA": r"C:\Users\ann\AppData\Local"}
    loc = location(browser, "windows", WIN, env)
    assert loc.registry_key == WINDOWS_KEYS[browser]
    assert loc.manifest == PureWindowsPath(r"C:\Users\ann\AppData\Local\navllm\NativeMessagingHosts", browser, NAME)
    assert str(loc.profile).startswith(r"C:\Users\ann\AppData\Local" + "\\")
    custom = location(browser, "windows", WIN, env, navllm_data=PureWindowsPath(r"D:\portable\data"))
    assert custom.manifest == PureWindowsPath(r"D:\portable\data\NativeMessagingHosts", browser, NAME)


def test_windows_without_localappdata_uses_the_profile_default():
    loc = location("chrome", "windows", WIN, {})
    assert loc.manifest == PureWindowsPath(r"C:\Users\ann\AppData\Local\navllm\NativeMessagingHosts\chrome", NAME)


def test_user_data_dir():
    loc = user_data_dir_location(PurePosixPath("/tmp/profile"), "linux")
    assert str(loc.manifest) == f"/tmp/profile/NativeMessagingHosts/{NAME}" and loc.family == "chromium"
    with pytest.raises(ValueError, match="Chromium-family"):
        user_data_dir_location(PurePosixPath("/tmp/profile"), "linux", "firefox")


def test_all_locations_lists_every_browser_once():
    assert [loc.browser for loc in all_locations("linux", HOME, {})] == list(BROWSERS)


def test_launchers_for_each_os():
    from navllm.install.launcher import launcher_path, render

    bat = render("windows", r"C:\Program Files\Python311\python.exe", r"D:\navllm home")
    assert bat.split("\r\n") == [
        "@echo off",
        "rem navllm native-messaging host, written by `navllm install`.",
        'set "NAVLLM_ALLOWED_CALLERS=chrome-extension://mgbpedbjfbkohpmiilfdaedkkiddmnkh/ navllm@navllm.org"',
        r'set "NAVLLM_HOME=D:\navllm home"',
        r'"C:\Program Files\Python311\python.exe" -m navllm.host %*',
        "",
    ]
    sh = render("darwin", "/Users/ann/my env/bin/python", None)
    assert sh.endswith("exec '/Users/ann/my env/bin/python' -m navllm.host \"$@\"\n") and "NAVLLM_HOME" not in sh
    assert launcher_path("windows", PureWindowsPath(r"C:\data")) == PureWindowsPath(r"C:\data\host\navllm-host.bat")
    assert launcher_path("linux", PurePosixPath("/data")) == PurePosixPath("/data/host/navllm-host")


def test_manifest_templates_render_exact_json(tmp_path):
    import json

    from navllm.install.manifests import render

    chrome = json.loads(render("chromium", PurePosixPath("/opt/navllm/host/navllm-host")))
    assert chrome == {
        "name": "org.navllm.host",
        "description": "navllm: AI for every web page, on your own terms",
        "path": "/opt/navllm/host/navllm-host",
        "type": "stdio",
        "allowed_origins": ["chrome-extension://mgbpedbjfbkohpmiilfdaedkkiddmnkh/"],
    }
    firefox = json.loads(render("firefox", PureWindowsPath(r"C:\navllm\host\navllm-host.bat")))
    assert firefox["allowed_extensions"] == ["navllm@navllm.org"] and firefox["path"] == r"C:\navllm\host\navllm-host.bat"
    with pytest.raises(ValueError, match="absolute"):
        render("chromium", PurePosixPath("relative/launcher"))
