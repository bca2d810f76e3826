"""Turning cached values into plain data and back, checked against their declared types.

A cache file holds only JSON values. Each value is written as what its type
declares: a dataclass as the list of its fields' values in field order, a
tuple or a set as a list, an enum as its value. Reading rebuilds it by the
same declaration and checks every value on the way (a field declared ``int``
must hold an int, a ``Location`` a list of four ints, and so on); anything
else raises ``DecodeError``, and the caller then ignores the file.

Where a type declares nothing more precise (``object``, a bare ``dict``: the
per-family facts in ``ModuleFacts.extra``, a route decorator's arguments),
values carry a tag: ``["t", ...]`` for a tuple, ``["c", name, ...]`` for a
dataclass. Only the dataclasses named in ``ALLOWED`` can be built that way:
a name from a file is looked up there, never imported. A value of any other
type raises ``EncodeError`` when written, so it is not cached at all.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import itertools
import json
import types
import typing
from typing import Any, Callable

# The dataclasses (and enums) a cache file may hold where a field declares only ``object``,
# by module; the types their fields declare are checked in turn. A fact type missing here
# is not an error: modules holding it are parsed again on each run (a test over the
# fixtures lists any such type).
ALLOWED: dict[str, tuple[str, ...]] = {
    "bplint.project.index": ("ModuleFacts", "Location", "EnvRead", "SyntaxProblem", "SyntaxKind"),
    "bplint.report.findings": ("Finding", "ScanError", "ScanResult", "Severity", "Fix", "Edit", "Applicability"),
    "bplint.project._route_facts": ("RouteFacts", "_Decorator", "_Def", "_Class", "_Call", "_Build", "_UrlPattern"),
    "bplint.project.orm_models": ("OrmModuleFacts", "RawClass", "RawRelation", "RawMethod", "RawHelper"),
    "bplint.rules._auth_index": ("AuthFacts",),
    "bplint.rules._sql_returns": ("SqlFacts",),
    "bplint.rules._config_context": ("ConfigFacts",),
    "bplint.rules._env_facts": ("EnvFacts", "SettingsClass", "SettingsField"),
    "bplint.rules.bp4_schema": ("CliFacts",),
    "bplint.project.roles": ("RoleFacts",),
    "bplint.project.regions": ("RegionFacts", "Definition"),
    "bplint.rules._dependency_uses": ("ModuleUses",),
    "bplint.project._test_facts": ("TestModuleFacts", "FunctionChecks"),
}


class EncodeError(TypeError):
    """A value whose type the cache cannot hold."""


class DecodeError(ValueError):
    """Data that is not what the declared type says."""


Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]

_PLAIN = (str, int, float, bool, type(None))
_PLAIN_SET = frozenset(_PLAIN)
_registry: dict[str, type] | None = None  # tag name -> class
_names: dict[type, str] = {}
_codecs: dict[Any, tuple[Encoder, Decoder]] = {}


def encoder(annotation: Any) -> Encoder:
    return _codec(annotation)[0]


def decoder(annotation: Any) -> Decoder:
    return _codec(annotation)[1]


def encode(value: Any, annotation: Any) -> Any:
    return encoder(annotation)(value)


def decode(data: Any, annotation: Any) -> Any:
    """``data`` (as parsed from JSON) rebuilt as ``annotation`` declares; DecodeError otherwise."""
    try:
        return decoder(annotation)(data)
    except DecodeError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # e.g. an unhashable member of a set, a dataclass's own check of its values
        raise DecodeError(f"{type(exc).__name__}: {exc}") from None


def _allowed() -> dict[str, type]:
    global _registry
    if _registry is None:
        found = {}
        for module_name, names in ALLOWED.items():
            module = importlib.import_module(module_name)
            for name in names:
                cls = getattr(module, name)
                found[f"{module_name}.{name}"] = cls
                _names[cls] = f"{module_name}.{name}"
        _registry = found
    return _registry


def _codec(annotation: Any) -> tuple[Encoder, Decoder]:
    found = _codecs.get(annotation)
    if found is None:
        found = _build(annotation)
        _codecs[annotation] = found
    return found


def _fail(expected: str, value: Any) -> DecodeError:
    return DecodeError(f"expected {expected}, got {type(value).__name__}")


# decoder -> the types it accepts as they are (it checks the type and changes nothing)
_PLAIN_TYPES: dict[Decoder, frozenset] = {}
# decoder -> the JSON types it reads (for the others: any)
_WRITTEN_AS: dict[Decoder, frozenset] = {}
_JSON_TYPES = frozenset({str, int, float, bool, type(None), list, dict})
_LIST, _DICT = frozenset({list}), frozenset({dict})
_OPTIONAL_OF: dict[Decoder, Decoder] = {}  # the decoder of X | None -> that of X
_COLLECTION_OF: dict[Decoder, type] = {}  # the decoder of a list, set... -> list, set...
_PLAIN_TUPLE: dict[Decoder, list[frozenset]] = {}  # the decoder of tuple[int, str] -> the members' types


def _plain(*kinds: type) -> tuple[Encoder, Decoder]:
    allowed = frozenset(kinds)
    label = " or ".join(k.__name__ for k in kinds)

    def check_out(value: Any) -> Any:
        if type(value) not in allowed:
            raise EncodeError(f"expected {label}, got {type(value).__name__}")
        return value

    def check_in(value: Any) -> Any:
        if type(value) not in allowed:
            raise _fail(label, value)
        return value

    _PLAIN_TYPES[check_in] = allowed
    return check_out, check_in


def _build(annotation: Any) -> tuple[Encoder, Decoder]:
    if annotation in (str, int, bool):
        return _plain(annotation)
    if annotation is float:
        return _plain(float, int)
    if annotation is type(None) or annotation is None:
        return _plain(type(None))
    if annotation in (object, Any, dict, list, tuple, set, frozenset):
        return _any_out, _any_in
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if len(members) == 1 and len(args) == 2:
            return _optional(_codec(members[0]))
        return _any_out, _any_in
    if origin in (list, set, frozenset) and len(args) == 1:
        return _collection(origin, _codec(args[0]))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _collection(tuple, _codec(args[0]))
        if args and Ellipsis not in args:
            return _fixed_tuple([_codec(a) for a in args])
    if origin is dict and len(args) == 2:
        return _mapping(_codec(args[0]), _codec(args[1]), args[0] is str)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum(annotation)
    if isinstance(annotation, type) and issubclass(annotation, dict) and getattr(annotation, "cache_lazy_values", False):
        return _lazy_mapping(annotation)
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _dataclass(annotation)
    raise EncodeError(f"the cache cannot hold values declared as {annotation!r}")


def _optional(inner: tuple[Encoder, Decoder]) -> tuple[Encoder, Decoder]:
    enc, dec = inner
    allowed = _PLAIN_TYPES.get(dec)
    if allowed is not None:
        return _plain(*allowed, type(None))

    def encode_optional(value: Any) -> Any:
        return None if value is None else enc(value)

    def decode_optional(value: Any) -> Any:
        return None if value is None else dec(value)

    _OPTIONAL_OF[decode_optional] = dec

    _WRITTEN_AS[decode_optional] = _WRITTEN_AS.get(dec, _JSON_TYPES) | {type(None)}
    return encode_optional, decode_optional


def _many(dec: Decoder) -> Callable[[list], list]:
    """Decodes a list of values of one declared type: in a few passes over the whole list
    where the type allows (plain values, tuples of plain values), else one by one."""
    allowed = _PLAIN_TYPES.get(dec)
    if allowed is not None:
        def plain(values: list) -> list:
            if not allowed.issuperset(map(type, values)):
                raise DecodeError("a value of unexpected type")
            return values

        return plain
    members = _PLAIN_TUPLE.get(dec)
    if members is not None:
        size, contains = {len(members)}, frozenset.__contains__

        def tuples(values: list) -> list:
            if not _LIST.issuperset(map(type, values)) or not size.issuperset(map(len, values)) or \
                    not all(map(contains, itertools.cycle(members), map(type, itertools.chain.from_iterable(values)))):
                raise DecodeError("a tuple of unexpected shape")
            return list(map(tuple, values))

        return tuples
    if dec is _any_in:
        def anything(values: list) -> list:
            if _PLAIN_SET.issuperset(map(type, values)):
                return values
            return [_any_in(item) for item in values]

        return anything

    def each(values: list) -> list:
        return [dec(item) for item in values]

    return each


def _collection(kind: type, inner: tuple[Encoder, Decoder]) -> tuple[Encoder, Decoder]:
    enc, dec = inner
    allowed = _PLAIN_TYPES.get(dec)
    many = _many(dec)

    def encode_collection(value: Any) -> Any:
        if type(value) is not kind:
            raise EncodeError(f"expected {kind.__name__}, got {type(value).__name__}")
        if allowed is not None:
            if not allowed.issuperset(map(type, value)):
                raise EncodeError(f"unexpected members in a {kind.__name__}")
            return list(value)
        return [enc(item) for item in value]

    def decode_collection(value: Any) -> Any:
        if type(value) is not list:
            raise _fail(f"a list for a {kind.__name__}", value)
        return many(value) if kind is list else kind(many(value))

    _WRITTEN_AS[decode_collection] = _LIST
    _COLLECTION_OF[decode_collection] = kind
    return encode_collection, decode_collection


def _fixed_tuple(members: list[tuple[Encoder, Decoder]]) -> tuple[Encoder, Decoder]:
    encs = [m[0] for m in members]
    decs = [m[1] for m in members]
    size = len(members)

    def encode_tuple(value: Any) -> Any:
        if type(value) is not tuple or len(value) != size:
            raise EncodeError(f"expected a tuple of {size}")
        return [enc(item) for enc, item in zip(encs, value)]

    kinds = [_PLAIN_TYPES.get(dec) for dec in decs]
    plain = None if None in kinds else kinds

    def decode_tuple(value: Any) -> Any:
        if type(value) is not list or len(value) != size:
            raise _fail(f"a list of {size}", value)
        if plain is not None:  # checked in one pass
            if not all(map(frozenset.__contains__, plain, map(type, value))):
                raise DecodeError(f"unexpected members in a tuple of {size}")
            return tuple(value)
        return tuple([dec(item) for dec, item in zip(decs, value)])

    _WRITTEN_AS[decode_tuple] = _LIST
    if plain is not None:
        _PLAIN_TUPLE[decode_tuple] = plain
    return encode_tuple, decode_tuple


def _mapping(keys: tuple[Encoder, Decoder], values: tuple[Encoder, Decoder], str_keys: bool
             ) -> tuple[Encoder, Decoder]:
    enc_key, dec_key = keys
    enc_value, dec_value = values
    if str_keys:  # a JSON object
        def encode_dict(value: Any) -> Any:
            if type(value) is not dict:
                raise EncodeError(f"expected dict, got {type(value).__name__}")
            out = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise EncodeError(f"expected str keys, got {type(key).__name__}")
                out[key] = enc_value(item)
            return out

        many = _many(dec_value)

        def decode_dict(value: Any) -> Any:
            if type(value) is not dict:
                raise _fail("an object", value)
            return dict(zip(value, many(list(value.values()))))

        _WRITTEN_AS[decode_dict] = _DICT
        return encode_dict, decode_dict

    def encode_pairs(value: Any) -> Any:
        if type(value) is not dict:
            raise EncodeError(f"expected dict, got {type(value).__name__}")
        return [[enc_key(key), enc_value(item)] for key, item in value.items()]

    def decode_pairs(value: Any) -> Any:
        if type(value) is not list:
            raise _fail("a list of pairs", value)
        out = {}
        for pair in value:
            if type(pair) is not list or len(pair) != 2:
                raise _fail("a pair", pair)
            out[dec_key(pair[0])] = dec_value(pair[1])
        return out

    _WRITTEN_AS[decode_pairs] = _LIST
    return encode_pairs, decode_pairs


class _Unread:
    """A value of a lazy mapping as the cache file holds it: JSON text, not yet read."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _lazy_mapping(kind: type) -> tuple[Encoder, Decoder]:
    """A dict of str keys whose values (of no declared type) are each written as JSON text and
    read back on first use; on a file read, only the keys are checked. The value is checked
    as any untyped value is when it is read. The cache file is authenticated as a whole, so a
    value that does not decode is a bug (or a damaged disk): that key is then made again by the
    repair its reader set (``set_repair``), or reads as absent."""
    def reduce_read(self, protocol):  # a copy or a pickle is of the plain kind, every value read
        _read_all(self)
        return kind, (dict(dict.items(self)),)

    lazy = type(f"Lazy{kind.__name__}", (kind,), {"__slots__": ("_repair",), **_LAZY_METHODS,
                                                  "__reduce_ex__": reduce_read, "__reduce__": reduce_read})

    def encode_lazy(value: Any) -> Any:
        if not isinstance(value, dict):
            raise EncodeError(f"expected {kind.__name__}, got {type(value).__name__}")
        out = {}
        for key, item in dict.items(value):
            if type(key) is not str:
                raise EncodeError(f"expected str keys, got {type(key).__name__}")
            out[key] = item.text if type(item) is _Unread else \
                json.dumps(_any_out(item), separators=(",", ":"), check_circular=False)
        return out

    def decode_lazy(value: Any) -> Any:
        if type(value) is not dict or not _STR_ONLY.issuperset(map(type, value.values())):
            raise _fail("an object of JSON texts", value)
        return lazy(zip(value, map(_Unread, value.values())))

    _WRITTEN_AS[decode_lazy] = _DICT
    return encode_lazy, decode_lazy


_STR_ONLY = frozenset({str})


def set_repair(mapping: dict, repair: Callable[[str], Any]) -> None:
    """What makes a value of a lazily read mapping again when its text does not decode (it raises
    KeyError when there is none); nothing for a mapping that was not read from a file."""
    if "_repair" in getattr(type(mapping), "__slots__", ()):
        mapping._repair = repair  # type: ignore[attr-defined]


def _read_value(mapping: dict, key: Any) -> Any:
    item = dict.__getitem__(mapping, key)
    if type(item) is not _Unread:
        return item
    try:
        value = decode(json.loads(item.text), object)
    except (DecodeError, ValueError, RecursionError):
        dict.__delitem__(mapping, key)
        repair = getattr(mapping, "_repair", None)
        if repair is None:
            raise KeyError(key) from None
        value = repair(key)
    dict.__setitem__(mapping, key, value)
    return value


def _read_all(mapping: dict) -> None:
    for key in list(dict.keys(mapping)):
        try:
            _read_value(mapping, key)
        except KeyError:
            pass


def _lazy_get(self, key, default=None):
    try:
        return _read_value(self, key)
    except KeyError:
        return default


def _lazy_contains(self, key) -> bool:
    """Read too: a key whose value does not read back and cannot be made again is not there."""
    if not dict.__contains__(self, key):
        return False
    try:
        _read_value(self, key)
    except KeyError:
        return False
    return True


def _lazy_pop(self, key, *default):
    try:
        _read_value(self, key)
    except KeyError:
        pass
    return dict.pop(self, key, *default)


def _lazy_setdefault(self, key, default=None):
    try:
        return _read_value(self, key)
    except KeyError:
        return dict.setdefault(self, key, default)


def _all_read(method: Callable) -> Callable:
    def read_first(self, *args, **kwargs):
        _read_all(self)
        return method(self, *args, **kwargs)

    read_first.__name__ = method.__name__
    return read_first


_LAZY_METHODS = {
    "__getitem__": _read_value, "__contains__": _lazy_contains, "get": _lazy_get, "pop": _lazy_pop, "setdefault": _lazy_setdefault,
    **{name: _all_read(getattr(dict, name)) for name in
       ("values", "items", "copy", "popitem", "__eq__", "__ne__", "__repr__", "__or__")},
    "__hash__": None,
}


def _enum(kind: type[enum.Enum]) -> tuple[Encoder, Decoder]:
    members = {member.value: member for member in kind}

    def encode_enum(value: Any) -> Any:
        if type(value) is not kind:
            raise EncodeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value.value

    def decode_enum(value: Any) -> Any:
        if type(value) not in _PLAIN:
            raise _fail(kind.__name__, value)
        try:
            return members[value]
        except KeyError:
            raise DecodeError(f"not a {kind.__name__}: {value!r}") from None

    return encode_enum, decode_enum


def _dataclass(cls: type) -> tuple[Encoder, Decoder]:
    names: list[str] = []
    kinds: list[frozenset] = []
    nested: list[tuple[int, Encoder, Decoder]] = []
    contains = frozenset.__contains__
    built: list[Decoder] = []  # the decoder, once made (a field may declare the class itself)

    def encode_dataclass(value: Any) -> Any:
        if type(value) is not cls:
            raise EncodeError(f"expected {cls.__name__}, got {type(value).__name__}")
        out = [getattr(value, name) for name in names]
        for i, enc, _ in nested:
            out[i] = enc(out[i])
        if not all(map(contains, kinds, map(type, out))):
            raise EncodeError(f"a {cls.__name__} with a field of an unexpected type")
        return out

    def decode_early(value: Any) -> Any:
        return built[0](value)

    _codecs[cls] = (encode_dataclass, decode_early)
    _WRITTEN_AS[decode_early] = _LIST
    try:
        hints = typing.get_type_hints(cls)
        fields = dataclasses.fields(cls)
        if any(not f.init for f in fields):
            raise EncodeError(f"{cls.__name__} has fields its constructor does not take")
        for i, f in enumerate(fields):
            names.append(f.name)
            enc, dec = _codec(hints[f.name])
            allowed = _PLAIN_TYPES.get(dec)
            if allowed is None:
                allowed = _WRITTEN_AS.get(dec, _JSON_TYPES)
                nested.append((i, enc, dec))
            kinds.append(allowed)
        decode_dataclass = _dataclass_decoder(cls, names, kinds, {i: dec for i, _, dec in nested})
    except Exception:
        del _codecs[cls]
        raise
    built.append(decode_dataclass)
    _WRITTEN_AS[decode_dataclass] = _LIST
    return encode_dataclass, decode_dataclass


def _dataclass_decoder(cls: type, names: list[str], kinds: list[frozenset], nested: dict[int, Decoder]) -> Decoder:
    """The decoder of one dataclass, as straight-line code: it rebuilds tens of thousands of
    facts per load, and this form takes half the time of a loop over the fields.

    The source is made from the class's field names only (identifiers, as the dataclass
    machinery checked them) and names of this function's own namespace, never from data.
    """
    namespace: dict[str, Any] = {"cls": cls, "new": object.__new__, "DecodeError": DecodeError}
    values, checks = [], []
    for i, (name, allowed) in enumerate(zip(names, kinds)):
        if not name.isidentifier():
            raise EncodeError(f"{cls.__name__} has a field named {name!r}")
        if i in nested:
            dec = nested[i]
            inner, kind = _OPTIONAL_OF.get(dec), _COLLECTION_OF.get(dec)
            if inner is not None:
                namespace[f"d{i}"] = inner
                values.append(f"(None if f{i} is None else d{i}(f{i}))")
            elif kind is not None:  # most are empty
                namespace[f"d{i}"], namespace[f"e{i}"] = dec, kind
                checks.append(f"type(f{i}) is not list")
                values.append(f"(d{i}(f{i}) if f{i} else e{i}())")
            else:
                namespace[f"d{i}"] = dec
                values.append(f"d{i}(f{i})")
            continue
        values.append(f"f{i}")
        if len(allowed) == 1:
            namespace[f"k{i}"] = next(iter(allowed))
            checks.append(f"type(f{i}) is not k{i}")
        else:
            namespace[f"k{i}"] = allowed
            checks.append(f"type(f{i}) not in k{i}")
    size = len(names)
    direct = not hasattr(cls, "__post_init__") and not hasattr(cls, "__slots__")
    unpacked = "".join(f"f{i}, " for i in range(size))
    lines = [
        "def decode_dataclass(value):",
        f"    if type(value) is not list{'' if size else ' or value'}:",
        f"        raise DecodeError('expected the {size} fields of a ' + cls.__name__)",
    ]
    if size:
        lines.append(f"    {unpacked} = value")  # raises ValueError for any other number of values
    if checks:
        lines.append(f"    if {' or '.join(checks)}:")
        lines.append("        raise DecodeError('a field of unexpected type in a ' + cls.__name__)")
    if direct:  # built as the constructor would, without its work: every field is given
        lines.append("    obj = new(cls)")
        lines.append("    fields = obj.__dict__")
        lines.extend(f"    fields[{name!r}] = {value}" for name, value in zip(names, values))
        lines.append("    return obj")
    else:
        lines.append(f"    return cls({', '.join(values)})")
    exec("\n".join(lines), namespace)  # noqa: S102 - see the docstring
    return namespace["decode_dataclass"]


# --- values whose type declares nothing more precise ------------------------------------


def _any_out(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        return ["l", *[_any_out(item) for item in value]]
    if kind is tuple:
        return ["t", *[_any_out(item) for item in value]]
    if kind is dict:
        if all(type(key) is str for key in value):  # a JSON object
            return {key: _any_out(item) for key, item in value.items()}
        out: list[Any] = ["d"]
        for key, item in value.items():
            out.append(_any_out(key))
            out.append(_any_out(item))
        return out
    if kind is set or kind is frozenset:
        return ["s" if kind is set else "f", *[_any_out(item) for item in value]]
    name = _names.get(kind) if _allowed() else None
    if name is None:
        raise EncodeError(f"the cache cannot hold a {kind.__module__}.{kind.__qualname__}")
    enc = _codec(kind)[0]
    return ["e" if isinstance(value, enum.Enum) else "c", name, enc(value)]


def _any_in(value: Any) -> Any:
    kind = type(value)
    if kind is dict:  # str keys
        if _PLAIN_SET.issuperset(map(type, value.values())):
            return value
        return {key: _any_in(item) for key, item in value.items()}
    if kind is not list:
        if kind in _PLAIN_SET:
            return value
        raise _fail("a tagged value", value)
    if not value:
        raise DecodeError("an untagged list")
    tag = value[0]
    if tag == "t" or tag == "l":
        items = value[1:]
        if not _PLAIN_SET.issuperset(map(type, items)):
            items = [_any_in(item) for item in items]
        return tuple(items) if tag == "t" else items
    if tag == "s":
        return {_any_in(item) for item in value[1:]}
    if tag == "f":
        return frozenset([_any_in(item) for item in value[1:]])
    if tag == "d":
        items = value[1:]
        if len(items) % 2:
            raise DecodeError("a dict with a key and no value")
        return {_any_in(items[i]): _any_in(items[i + 1]) for i in range(0, len(items), 2)}
    if tag in ("c", "e") and len(value) == 3 and type(value[1]) is str:
        cls = _allowed().get(value[1])
        if cls is None or (tag == "e") != issubclass(cls, enum.Enum):
            raise DecodeError(f"not a type the cache holds: {value[1]!r}")
        return _codec(cls)[1](value[2])
    raise DecodeError(f"an unknown tag: {tag!r}")
