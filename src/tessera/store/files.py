"""The embedded database's files belong to the account that runs tessera alone.

The database holds password hashes, sealed signing keys and the digests of every live
token, so its directory is created 0700 and the file 0600. SQLite gives the `-wal` and
`-shm` files it creates next to the database the database file's own mode.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def create_private_database_file(path: Path) -> None:
    """Create the database's directory (0700) and an empty database file (0600).

    Either one that exists already is left as it is, mode included.

    Raises:
        OSError: the directory or the file cannot be created.
    """
    path.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
