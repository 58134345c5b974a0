"""Builds protobuf message classes straight from proto/prepcast/v1/push.proto.

No protoc is needed (Debian's python3-protobuf has none): this reads the small subset of proto3
the PREPcast wire contract uses (package, messages, scalar/message/repeated fields, one oneof,
comments, a service that is ignored) into a FileDescriptorProto and lets the protobuf runtime
make the classes. Anything outside that subset is an error, so a new construct in the contract is
noticed here rather than silently misread.
"""
import re

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto
SCALARS = {
    "string": F.TYPE_STRING, "bytes": F.TYPE_BYTES, "bool": F.TYPE_BOOL,
    "uint32": F.TYPE_UINT32, "int32": F.TYPE_INT32, "uint64": F.TYPE_UINT64, "int64": F.TYPE_INT64,
    "sint64": F.TYPE_SINT64, "fixed64": F.TYPE_FIXED64, "sfixed64": F.TYPE_SFIXED64,
}


def _tokens(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.findall(r"[A-Za-z_][A-Za-z0-9_.]*|\d+|[{}=;()]|\"[^\"]*\"", text)


def load(path):
    toks = _tokens(open(path, encoding="utf-8").read())
    fd = descriptor_pb2.FileDescriptorProto(name="prepcast/v1/push.proto", syntax="proto3")
    i = 0

    def expect(t):
        nonlocal i
        if toks[i] != t:
            raise ValueError(f"push.proto: expected {t!r}, got {toks[i]!r}")
        i += 1

    while i < len(toks):
        t = toks[i]
        if t == "syntax":
            i += 4  # syntax = "proto3" ;
        elif t == "package":
            fd.package = toks[i + 1]
            i += 3
        elif t == "service":
            depth = 0
            while True:
                i += 1
                if toks[i] == "{":
                    depth += 1
                elif toks[i] == "}":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
        elif t == "message":
            msg = fd.message_type.add(name=toks[i + 1])
            i += 2
            expect("{")
            oneof_index = None
            while toks[i] != "}" or oneof_index is not None:
                if toks[i] == "}":
                    oneof_index = None
                    i += 1
                    continue
                if toks[i] == "oneof":
                    msg.oneof_decl.add(name=toks[i + 1])
                    oneof_index = len(msg.oneof_decl) - 1
                    i += 2
                    expect("{")
                    continue
                label = F.LABEL_OPTIONAL
                if toks[i] == "repeated":
                    label = F.LABEL_REPEATED
                    i += 1
                typ, name = toks[i], toks[i + 1]
                i += 2
                expect("=")
                number = int(toks[i])
                i += 1
                expect(";")
                field = msg.field.add(name=name, number=number, label=label, json_name=re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name))
                if typ in SCALARS:
                    field.type = SCALARS[typ]
                elif re.fullmatch(r"[A-Z][A-Za-z0-9]*", typ):
                    field.type = F.TYPE_MESSAGE
                    field.type_name = f".{fd.package}.{typ}"
                else:
                    raise ValueError(f"push.proto: unsupported field type {typ!r}")
                if oneof_index is not None:
                    field.oneof_index = oneof_index
            i += 1
        else:
            raise ValueError(f"push.proto: unexpected token {t!r}")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    classes = message_factory.GetMessages([fd], pool=pool) if "pool" in message_factory.GetMessages.__code__.co_varnames else message_factory.GetMessages([fd])
    return {name.split(".")[-1]: cls for name, cls in classes.items()}
