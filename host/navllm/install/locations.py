"""Where each browser looks for native-messaging host manifests, as pure functions of
(os, home, environment), so every platform's answer can be computed and tested anywhere.

Sources: Chromium ``chrome_paths*.cc`` and ``native_process_launcher*.cc``, Gecko
``NativeManifests.sys.mjs``, Edge, Brave and Vivaldi path overrides (see the research notes).
On Windows the browser reads a registry key whose default value is the manifest's path;
the manifest file itself then lives in navllm's own folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Literal

from . import HOST_NAME

OS = Literal["linux", "darwin", "windows"]
Family = Literal["chromium", "firefox"]


@dataclass(frozen=True)
class Browser:
    name: str
    family: Family
    linux: str  # user data dir under the XDG config home ("" for Firefox)
    darwin: str  # under ~/Library/Application Support
    windows_key: str  # HKCU\<key>\NativeMessagingHosts\<host>
    windows_data: str  # under %LOCALAPPDATA%, to tell whether it is installed


BROWSERS: dict[str, Browser] = {
    b.name: b
    for b in (
        Browser("chrome", "chromium", "google-chrome", "Google/Chrome", r"Software\Google\Chrome", r"Google\Chrome\User Data"),
        Browser(
            "chrome-beta",
            "chromium",
            "google-chrome-beta",
            "Google/Chrome Beta",
            r"Software\Google\Chrome",
            r"Google\Chrome Beta\User Data",
        ),
        Browser(
            "chrome-unstable",
            "chromium",
            "google-chrome-unstable",
            "Google/Chrome Dev",
            r"Software\Google\Chrome",
            r"Google\Chrome Dev\User Data",
        ),
        Browser("chromium", "chromium", "chromium", "Chromium", r"Software\Chromium", r"Chromium\User Data"),
        Browser("edge", "chromium", "microsoft-edge", "Microsoft Edge", r"Software\Microsoft\Edge", r"Microsoft\Edge\User Data"),
        Browser(
            "brave",
            "chromium",
            "BraveSoftware/Brave-Browser",
            "BraveSoftware/Brave-Browser",
            r"Software\BraveSoftware\Brave-Browser",
            r"BraveSoftware\Brave-Browser\User Data",
        ),
        Browser("vivaldi", "chromium", "vivaldi", "Vivaldi", r"Software\Google\Chrome", r"Vivaldi\User Data"),
        Browser("firefox", "firefox", "", "Mozilla", r"Software\Mozilla", r"Mozilla\Firefox"),
    )
}


@dataclass(frozen=True)
class Location:
    """One place to register the host for one browser."""

    browser: str
    family: Family
    manifest: PurePath  # the manifest file to write
    profile: PurePath  # exists when the browser has been used (how "found" is decided)
    registry_key: str | None = None  # Windows only: HKCU key whose default value is the manifest path


def _path(os_name: OS, *parts: str | PurePath) -> PurePath:
    return PureWindowsPath(*parts) if os_name == "windows" else PurePosixPath(*parts)


def _config_home(browser: Browser, home: PurePath, env: Mapping[str, str]) -> PurePath:
    # Chrome-family honour CHROME_CONFIG_HOME before XDG_CONFIG_HOME; Brave ignores it.
    if browser.name != "brave" and env.get("CHROME_CONFIG_HOME"):
        return PurePosixPath(env["CHROME_CONFIG_HOME"])
    if env.get("XDG_CONFIG_HOME"):
        return PurePosixPath(env["XDG_CONFIG_HOME"])
    return PurePosixPath(home, ".config")


def location(browser_name: str, os_name: OS, home: PurePath, env: Mapping[str, str], *, navllm_data: PurePath | None = None) -> Location:
    """Where ``browser_name`` reads its user-level host manifest on ``os_name``.

    ``navllm_data`` is navllm's data folder, where Windows manifests are kept (the registry
    points at them); it defaults to %LOCALAPPDATA%\\navllm.
    """
    browser = BROWSERS[browser_name]
    filename = f"{HOST_NAME}.json"
    if os_name == "linux":
        if browser.family == "firefox":
            return Location(
                browser.name,
                "firefox",
                _path(os_name, home, ".mozilla", "native-messaging-hosts", filename),
                _path(os_name, home, ".mozilla"),
            )
        profile = _config_home(browser, home, env) / browser.linux
        return Location(browser.name, "chromium", profile / "NativeMessagingHosts" / filename, profile)
    if os_name == "darwin":
        support = _path(os_name, home, "Library", "Application Support")
        folder = "NativeMessagingHosts"
        return Location(browser.name, browser.family, support / browser.darwin / folder / filename, support / browser.darwin)
    local = _path(os_name, env.get("LOCALAPPDATA") or _path(os_name, home, "AppData", "Local"))
    data = _path(os_name, navllm_data) if navllm_data else local / "navllm"
    return Location(
        browser.name,
        browser.family,
        data / "NativeMessagingHosts" / browser.name / filename,
        local / browser.windows_data,
        registry_key=f"{browser.windows_key}\\NativeMessagingHosts\\{HOST_NAME}",
    )


def user_data_dir_location(user_data_dir: PurePath, os_name: OS, browser_name: str = "chromium") -> Location:
    """A Chromium-family browser started with ``--user-data-dir`` reads manifests only from inside it."""
    browser = BROWSERS[browser_name]
    if browser.family != "chromium":
        raise ValueError(f"--user-data-dir applies to Chromium-family browsers, not {browser_name}")
    profile = _path(os_name, user_data_dir)
    return Location(browser.name, "chromium", profile / "NativeMessagingHosts" / f"{HOST_NAME}.json", profile)


def all_locations(os_name: OS, home: PurePath, env: Mapping[str, str], *, navllm_data: PurePath | None = None) -> list[Location]:
    return [location(name, os_name, home, env, navllm_data=navllm_data) for name in BROWSERS]
