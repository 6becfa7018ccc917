"""Tools made from typed Python functions: the JSON schema comes from the signature and the docstring, the
arguments are validated by pydantic before the call."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from jarvis.errors import JarvisError
from jarvis.tools.base import ToolArgumentsError, current_request

_ARG_LINE = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """The description (text before an `Args:` section) and the per-argument descriptions (Google style)."""
    if not doc:
        return "", {}
    text = inspect.cleandoc(doc)
    head, _, rest = text.partition("\nArgs:")
    args: dict[str, str] = {}
    current: str | None = None
    for line in rest.splitlines():
        if line.strip().endswith(":") and not line.startswith((" ", "\t")):
            break  # the next section (Returns:, Raises:)
        match = _ARG_LINE.match(line)
        if match and line.startswith((" ", "\t")) and len(line) - len(line.lstrip()) <= 4:
            current = match.group(1)
            args[current] = match.group(2).strip()
        elif current and line.strip():
            args[current] += " " + line.strip()
    return " ".join(head.split()), args


def _compact(schema: Any) -> Any:
    """Every definition is in every prompt: what tells the model nothing goes. Pydantic's `title` keys; null
    defaults (the parameter is simply not required); `anyOf [T, null]` of an optional parameter, which is T for the
    model (leaving it out means null). An empty-string default stays: it tells the 1.5B model to leave a label
    empty (without it, it invented « temps » as a timer's name)."""
    if isinstance(schema, list):
        return [_compact(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _compact(v) for k, v in schema.items() if not (k == "title" and isinstance(v, str))}
    if "default" in out and out["default"] is None:
        del out["default"]
    options = out.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        (kept,) = [o for o in options if o != {"type": "null"}]
        del out["anyOf"]
        out = {**kept, **out}
    return out


def _describe_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "arguments"
        parts.append(f"{where}: {error.get('msg', '')}")
    return "; ".join(parts)


class FunctionTool:
    """A tool backed by a Python function (sync functions run in a worker thread)."""

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        source: str = "builtin",
        direct: bool = False,
        refusal: Callable[[str], JarvisError | None] | None = None,
    ) -> None:
        self.function = function
        self.direct = direct
        self._refusal = refusal
        self.name = name or function.__name__
        self.source = source
        description, arg_docs = parse_docstring(function.__doc__)
        if not description:
            raise ValueError(f"tool {self.name}: a docstring is required (it tells the model what the tool does)")
        self.description = description
        hints = get_type_hints(function, include_extras=True)
        fields: dict[str, Any] = {}
        for param in inspect.signature(function).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ValueError(f"tool {self.name}: *args and **kwargs cannot be described to a model")
            if param.name not in hints:
                raise ValueError(f"tool {self.name}: parameter {param.name} needs a type annotation")
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (hints[param.name], Field(default, description=arg_docs.get(param.name)))
        self.model: type[BaseModel] = create_model(
            f"{self.name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
        )
        schema = _compact(self.model.model_json_schema())
        schema.pop("additionalProperties", None)
        schema.setdefault("properties", {})
        self.parameters: dict[str, Any] = schema
        self._is_async = inspect.iscoroutinefunction(function)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            model = self.model.model_validate(arguments)
        except ValidationError as exc:
            raise ToolArgumentsError(f"arguments invalides pour {self.name} : {_describe_error(exc)}") from exc
        return {name: getattr(model, name) for name in type(model).model_fields}

    def refusal(self, request: str | None) -> JarvisError | None:
        """The error refusing any call of this turn, read from the user's request alone (« Appelle maman » asks
        for nothing to remember): the call's arguments make no difference, so the model need not finish writing
        them. None: the call goes ahead."""
        return self._refusal(request) if self._refusal is not None and request else None

    async def run(self, arguments: dict[str, Any]) -> str:
        refused = self.refusal(current_request.get())
        if refused is not None:
            raise refused
        values = self.validate(arguments)
        if self._is_async:
            result = await self.function(**values)
        else:
            result = await asyncio.to_thread(self.function, **values)
        return result_text(result)


def result_text(result: Any) -> str:
    """What the model reads: strings as they are, anything else as compact JSON."""
    if isinstance(result, str):
        return result
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    return json.dumps(result, ensure_ascii=False, default=str)


def function_tool(
    function: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    source: str = "builtin",
    direct: bool = False,
) -> Any:
    """Make a tool of a function; usable as `function_tool(f)` or as a decorator `@function_tool(name=...)`."""
    if function is None:
        return lambda f: FunctionTool(f, name=name, source=source, direct=direct)
    return FunctionTool(function, name=name, source=source, direct=direct)
