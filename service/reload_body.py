"""The body of ``POST /admin/reload``: ``model_path``, a name the server's file system can hold.

A name it cannot hold was a 403 "model_path must name a folder inside the models root",
though it named one inside it: ``Path.resolve`` refused a NUL byte, and the system a name
longer than it takes (``ENAMETOOLONG``). A path too long or with a NUL byte is now a
422 saying what is wrong (``path_problem``, before the models root is looked at; the schema
states both); one naming a file or folder longer than a name can be is a folder
missing from the root, a 409 as any (``missing_name``); 403 stays for one outside the root.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

#: the longest ``model_path`` taken, in characters: 1,000 characters of up to 4 bytes each
#: in UTF-8 stay inside Linux's longest path (PATH_MAX, 4,096 bytes)
MAX_MODEL_PATH = 1000
#: the longest folder name in it, in bytes of UTF-8 (NAME_MAX: 255 ASCII characters)
MAX_FOLDER_NAME = 255
#: the schema's word for "no NUL byte" (the validator gives the message)
NO_NUL = "^[^\\u0000]*$"


def path_problem(value: str) -> str | None:
    """What a file system cannot hold of ``value`` as a folder's path (None: nothing)."""
    if value == "":
        return ("model_path is empty: name a model folder inside the models root, or leave "
                "model_path out to reload the folder being served")
    if len(value) > MAX_MODEL_PATH:
        return (f"model_path is {len(value):,} characters long: at most {MAX_MODEL_PATH:,} "
                "characters are taken")
    if "\x00" in value:
        return (f"model_path holds a NUL byte (character {value.index(chr(0)) + 1:,}), which "
                "no folder's name can hold")
    return None


def missing_name(value: str) -> str | None:
    """Why no folder ``value`` names can exist, a name in it being longer than a file system
    takes (None: none is): a folder missing from the root, as the 409 of one says, where the
    system's ``ENAMETOOLONG`` was a 403 "outside the models root"."""
    for name in PurePosixPath(value).parts:
        size = len(name.encode("utf-8"))
        if size > MAX_FOLDER_NAME:
            return (f"model_path names a folder or file of {size:,} bytes (UTF-8), and a name "
                    f"is at most {MAX_FOLDER_NAME} bytes ({MAX_FOLDER_NAME} ASCII characters): "
                    "no such model folder")
    return None


def _path_given(value: Any) -> Any:
    """``path_problem``'s refusal of a text ``value`` (a 422), before the length check,
    whose words say less; anything else goes on to the type check."""
    if isinstance(value, str) and (problem := path_problem(value)) is not None:
        raise ValueError(problem)
    return value


class ReloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_path: Annotated[str | None, BeforeValidator(_path_given)] = Field(
        None, min_length=1, max_length=MAX_MODEL_PATH, pattern=NO_NUL,
        description=f"a model folder to switch to (at most {MAX_MODEL_PATH:,} characters, no "
                    "NUL byte; relative: from the models root); default: the folder being "
                    "served")
