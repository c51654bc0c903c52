"""What a submission may use: time, memory, files and processes (light to import: the CLI's defaults)."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    cell_timeout: float = 120.0       # seconds per student or setup cell, as c.Execute.timeout
    check_timeout: float = 30.0       # seconds per test cell (visible tests + probe); ≥10× the reference
    submission_timeout: float = 600.0  # seconds for the whole notebook, restarts included
    memory_bytes: int = 6 * 2**30     # address space: torch alone maps about 1.5 GiB
    file_bytes: int = 256 * 2**20
    open_files: int = 256
    processes: int = 256              # per uid, threads included; enforced only for non-root uids
    notebook_bytes: int = 32 * 2**20  # a submitted notebook larger than this is not read (docs/attacks.md H9)

MAX_SHOWN = 4000  # characters kept of each thing one cell shows (stdout, stderr, its value, its error)
