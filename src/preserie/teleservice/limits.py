"""What one request may cost the sandbox: the size of its body and of the 422 it can get back.

One create body of 2.3 MB made of 200,000 unknown keys held the worker 4 s, took 590 MiB and got an 18 MB 422 back:
JSON parsing and validation run on the event loop, so every other call waited. Both ends are bounded now.
"""

from __future__ import annotations

from typing import Any

from preserie.teleservice.catalogue import TeleserviceError

# The largest legitimate body is a create of 50 lines (the schema's maximum), each with 1,000 characters of text and
# 1,000 of posology, a code and the rest of a line's fields (~400 bytes): French text is ~1.1 bytes a character in
# UTF-8, ~1.3 with every accent escaped as \u00e9 (json.dumps' default), so ~150 KB. 512 KiB is 3.5 times that,
# and still holds those 50 lines written in raw UTF-8 with every character taking 2 bytes (~220 KB: accented
# letters) or 3 (~320 KB: €, ‰, curly quotes). Only text escaped character by character, past ~800 escaped
# characters in each text and posology of every line, would not fit.
MAX_BODY_BYTES = 512 * 1024
# A 422 names this many errors, then counts them all (details_total): a client mends the first ones and retries.
MAX_ERROR_DETAILS = 20


def invalid_request(problems: list[dict[str, Any]]) -> TeleserviceError:
    """INVALID_REQUEST (or MALFORMED_REQUEST for unreadable JSON) naming the first MAX_ERROR_DETAILS problems."""
    code = "MALFORMED_REQUEST" if any(problem["type"] == "json_invalid" for problem in problems) else "INVALID_REQUEST"
    if len(problems) <= MAX_ERROR_DETAILS:
        return TeleserviceError(code, details=problems, details_total=len(problems))
    return TeleserviceError(code, f"{len(problems)} erreurs, les {MAX_ERROR_DETAILS} premières détaillées",
                            details=problems[:MAX_ERROR_DETAILS], details_total=len(problems))


def too_large(size: int | None = None) -> TeleserviceError:
    """REQUEST_TOO_LARGE, with the size the client declared when it declared one."""
    declared = f"{size} octets annoncés, " if size is not None else ""
    return TeleserviceError("REQUEST_TOO_LARGE", f"{declared}{MAX_BODY_BYTES} octets au plus")
