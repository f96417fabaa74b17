"""TLS for ``STARTTLS``: upsd.conf's ``CERTFILE`` as a stdlib ``ssl`` server context.

Why: NUT's OpenSSL build reads one PEM file holding the certificate and its private
key (``CERTFILE``); we accept the same file, or a separate key file, and fail at start
(naming the file) rather than at a client's first ``STARTTLS``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from hidups.errors import ConfigError


@dataclass(frozen=True)
class TlsSettings:
    """``certfile``: PEM certificate (and key, as NUT's CERTFILE); ``keyfile`` if apart."""

    certfile: str | Path
    keyfile: str | Path | None = None

    def context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(str(self.certfile),
                                None if self.keyfile is None else str(self.keyfile))
        except (OSError, ssl.SSLError) as exc:
            where = str(self.certfile) if self.keyfile is None else \
                f"{self.certfile} / {self.keyfile}"
            raise ConfigError(f"cannot load the TLS certificate and key: {exc}",
                              source=where, option="CERTFILE") from exc
        return ctx
