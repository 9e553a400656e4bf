"""Command-line values read without pydantic where typer's answer is known.

typer (0.2x) converts every parameter's value with a pydantic TypeAdapter it builds on first use: importing
pydantic and building the adapters costs about 0.15 s of every command (`preview` on one event takes 0.6 s).
This CLI's parameters are text, paths, lists of them, flags and a few integers. For text and paths the
adapter's answer is known: text stays as it is given, a path is `Path(text)` checked by typer's own
`coerce_cli_path` (exists, file or folder, `-`), which is what the adapter calls. Those are answered here;
any other value or type (an integer, a parser, a choice, a file) goes to typer's own runtime parameter,
built on that first use as typer builds it. Applied only to the typer whose internals this relies on
(its `core.build_runtime_param`); any other typer runs as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NOT_KNOWN = object()


def install() -> None:
    try:
        from typer import core
        from typer._coercion import RuntimeParam, build_runtime_param
        from typer._param_types import coerce_cli_path, lenient_issubclass, routes_to_path
        from typer._typing import get_args, get_origin
    except ImportError:  # another typer: its own coercion
        return
    if getattr(core, "build_runtime_param", None) is not build_runtime_param:
        return

    @dataclass(frozen=True)
    class KnownValues(RuntimeParam):
        descriptor: Any

        def _item(self, annotation: Any, value: Any, param: Any, ctx: Any) -> Any:
            info = self.parameter_info
            if info.parser is not None or value.__class__ is not str:
                return _NOT_KNOWN
            if annotation is str:
                return value  # the adapter's str(value)
            if not routes_to_path(annotation, info):
                return _NOT_KNOWN
            path_type = info.path_type
            if path_type is None and lenient_issubclass(annotation, Path):
                path_type = annotation
            if path_type is Path:
                if not value:
                    return _NOT_KNOWN  # "" is left to pydantic's own answer
                value = Path(value)
            elif path_type not in (None, str, bytes):
                return _NOT_KNOWN
            return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation = self.annotation
            if get_origin(annotation) is list and value.__class__ in (list, tuple):
                (item_type,) = get_args(annotation)
                items = [self._item(item_type, item, param, ctx) for item in value]
                if not any(item is _NOT_KNOWN for item in items):
                    return items
            elif get_origin(annotation) is None:
                known = self._item(annotation, value, param, ctx)
                if known is not _NOT_KNOWN:
                    return known
            general = self.__dict__.get("general")
            if general is None:
                general = build_runtime_param(self.descriptor)
                object.__setattr__(self, "general", general)  # built once, as typer caches its own
            return general._coerce_value(value, param=param, ctx=ctx)

    def deferred(descriptor: Any) -> Any:
        if descriptor.file_annotation is not None:
            return build_runtime_param(descriptor)
        return KnownValues(parameter_info=descriptor.parameter_info, annotation=descriptor.annotation,
                           descriptor=descriptor)

    core.build_runtime_param = deferred
