"""A minimal reader of R's XDR serialisation (what .rda/.RData, .rds and help .rdb entries hold), enough for
data frames of factors and numbers and for Rd help pages: no R, rpy2 or pandas needed (none is on the machine).

    read_rda(path) -> {name: value}; read_rds_bytes(b) -> value
Values: vectors as Python lists (NA as None), with R attributes kept in RObj.attrs; pairlists as lists of
(tag, value).
"""
import bz2, gzip, lzma, struct


class RObj:
    def __init__(self, kind, value, attrs=None):
        self.kind, self.value, self.attrs = kind, value, attrs or {}

    def __repr__(self):
        return f"RObj({self.kind}, {str(self.value)[:60]}, attrs={list(self.attrs)})"


class _Reader:
    def __init__(self, b):
        self.b, self.i, self.refs = b, 0, []

    def int(self):
        (v,) = struct.unpack_from(">i", self.b, self.i)
        self.i += 4
        return v

    def length(self):
        n = self.int()
        if n == -1:
            hi, lo = self.int(), self.int()
            n = (hi << 32) + lo
        return n

    def header(self):
        if self.b[:2] != b"X\n":
            raise ValueError("not XDR serialisation")
        self.i = 2
        version = self.int()
        self.int(), self.int()  # writer's R version, minimal reader version
        if version == 3:
            n = self.int()  # native encoding name
            self.i += n
        return version

    def attrs(self, has):
        return dict(self.item()) if has else {}

    def item(self):
        flags = self.int()
        t, is_obj, has_attr, has_tag = flags & 0xFF, flags & 256, flags & 512, flags & 1024
        if t == 254:  # NILVALUE
            return None
        if t in (242, 241, 253, 251, 250):  # empty/base/global env, missing arg, base namespace
            return RObj("env", t)
        if t == 255:  # REFSXP
            idx = flags >> 8
            return self.refs[(idx or self.int()) - 1]
        if t == 247:  # PERSISTSXP: a reference into a lazy-load database (help pages carry a few)
            self.int()
            ref = RObj("persist", [self.item() for _ in range(self.int())])
            self.refs.append(ref)
            return ref
        if t == 1:  # SYMSXP
            sym = self.item()
            self.refs.append(sym)
            return sym
        if t == 9:  # CHARSXP
            n = self.int()
            if n == -1:
                return None
            s = self.b[self.i:self.i + n].decode("utf-8", "replace")
            self.i += n
            return s
        if t in (2, 6, 239, 240, 17):  # pairlist, language, attribute pairlists, dots
            out = []
            while True:
                self.attrs(has_attr)
                tag = self.item() if has_tag else None
                out.append((tag, self.item()))
                flags = self.int()
                t, has_attr, has_tag = flags & 0xFF, flags & 512, flags & 1024
                if t == 254:
                    return out
                if t not in (2, 6, 239, 240, 17):
                    self.i -= 4
                    out.append((None, self.item()))
                    return out
        if t in (10, 13):  # logical, integer
            n = self.length()
            v = [None if x == -2**31 else x for x in struct.unpack_from(f">{n}i", self.b, self.i)]
            self.i += 4 * n
            return RObj("int", v, self.attrs(has_attr))
        if t == 14:  # double
            n = self.length()
            v = list(struct.unpack_from(f">{n}d", self.b, self.i))
            self.i += 8 * n
            return RObj("double", v, self.attrs(has_attr))
        if t in (16, 19, 20):  # character, list, expression
            n = self.length()
            v = [self.item() for _ in range(n)]
            return RObj("str" if t == 16 else "list", v, self.attrs(has_attr))
        if t == 4:  # environment
            self.refs.append(RObj("env", None))
            self.int()  # locked
            for _ in range(4):
                self.item()  # enclos, frame, hashtab, attrib
            return self.refs[-1]
        raise ValueError(f"R type {t} not supported (at byte {self.i - 4})")


def _decompress(b):
    if b[:2] == b"\x1f\x8b":
        return gzip.decompress(b)
    if b[:3] == b"BZh":
        return bz2.decompress(b)
    if b[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(b)
    return b


def read_rds_bytes(b):
    r = _Reader(_decompress(b))
    r.header()
    return r.item()


def read_rda(path):
    with open(path, "rb") as f:
        b = _decompress(f.read())
    if b[:5] not in (b"RDX2\n", b"RDX3\n"):
        raise ValueError(f"{path}: not an R data file")
    return dict(read_rds_bytes(b[5:]))


def factor_labels(col):
    """A factor column as its labels (NA as None)."""
    levels = col.attrs["levels"].value
    return [None if x is None else levels[x - 1] for x in col.value]
