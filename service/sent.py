"""The base of the response models: every field the server sends is required in the schema.

A response model's field with a default (``note: str | None = None``) left ``required`` in
the published schema, although nothing in ``service/`` drops a field when serializing (no
``exclude_none`` / ``exclude_unset``, no ``response_model_exclude_*``): a client generated from
``/openapi.json`` typed it ``note?: string | null``, as if it could be absent. ``Sent`` lists
each field as required in the serialization schema (the one FastAPI publishes for responses;
a request body's model keeps its defaults optional). A field the server leaves out of some
answers (a body built by the library and sent as it is) is named in ``sometimes`` and stays
optional. ``tests/service/test_response_fields_required.py`` holds the schemas to real answers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class Sent(BaseModel):
    """A response body (or a part of one) whose every field is always sent, but ``sometimes``."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    #: fields absent from some answers: optional in the schema
    sometimes: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        if cls.sometimes:
            body: dict[str, Any] = handler.resolve_ref_schema(schema)
            body["required"] = [k for k in body.get("required", []) if k not in cls.sometimes]
            if not body["required"]:
                del body["required"]
        return schema
