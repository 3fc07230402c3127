"""The one kind of failure the command line reports as a line of its own."""


class CLIError(Exception):
    """A failure reported as one line, exit code 1."""


def describe_error(error: BaseException) -> str:
    """One line: the exception's message, or its type when it has none."""
    text = " ".join(str(error).split())
    if isinstance(error, OSError) and error.strerror:
        where = f" {error.filename}" if error.filename is not None else ""
        return f"{error.strerror}:{where}".rstrip(":")
    return text or type(error).__name__
