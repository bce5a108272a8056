"""The job side of the runwarden protocol for Python: report progress, metrics and checkpoints.

Standard library only, Python 3.8+. A no-op when not run under runwarden (RUNWARDEN_EVENTS unset);
never raises into the training loop (write errors are counted in ``write_errors``). Each event is
one JSON line written with one ``os.write`` on an O_APPEND descriptor: flushed line by line.

    from runwarden_reporter import reporter
    rw = reporter()
    rw.phase("train")
    rw.progress(step=10, total=1000)
    rw.metric("loss", 0.43, step=10)
    rw.checkpoint("ckpt/step-10.pt", step=10)

From a shell script: ``python3 runwarden_reporter.py metric name=loss value=0.43 step=10``.

Checkpoint requests (docs/protocol.md): poll at step boundaries; the signal handler only sets a
flag, saving happens in your loop. In a distributed job, rank 0 polls and broadcasts the answer.

    rw = reporter()
    for step in range(start, total):
        train_step()
        if rw.checkpoint_requested():
            rw.save_checkpoint("ckpt/step-%d.pt" % step, lambda tmp: torch.save(state, tmp), step=step)
            if rw.should_stop():
                rw.ack()
                sys.exit(0)
"""

import datetime
import json
import math
import numbers
import os
import signal
import sys
import time

__all__ = ["Reporter", "reporter"]

_WRITE_ATTEMPTS_MAX = 16
_DEPTH_MAX = 8


class Reporter:
    """Writes events to ``path``; every method returns at once and never raises."""

    def __init__(self, path):
        self.path = path or None
        self.enabled = self.path is not None
        self.write_errors = 0
        self.last_write_error = None
        self._fd = None
        # Issue 14: checkpoint requests. The handler only sets _signalled; the loop polls.
        self.control_path = None
        self.checkpoint_signal = None
        self._signalled = False
        self._last_look = -1.0e9
        self._handled_seq = 0
        self._pending = None

    def listen_for_checkpoints(self, control_path=None, signal_name=None):
        """Install the checkpoint signal's handler (it only sets a flag). Called by ``reporter()``."""
        self.control_path = control_path or self.control_path
        self.checkpoint_signal = signal_name or self.checkpoint_signal
        if self.checkpoint_signal is None:
            return
        try:
            signum = getattr(signal, self.checkpoint_signal)

            def _flag(_signum, _frame):
                self._signalled = True

            signal.signal(signum, _flag)
        except (AttributeError, ValueError, OSError):
            pass  # not the main thread, or an unknown signal: polling the control file still works

    def checkpoint_request(self):
        """The newest request in the control file as a dict, or None (never raises)."""
        if not self.control_path:
            return None
        try:
            with open(self.control_path, "r", encoding="utf-8") as handle:
                request = json.load(handle)
            return request if isinstance(request, dict) and isinstance(request.get("seq"), int) else None
        except (OSError, ValueError):
            return None

    def checkpoint_requested(self):
        """True once per new request (signalled, or found in the control file): save a checkpoint now."""
        if self._pending is not None:
            return True
        if not self.control_path:
            return False
        # The signal says at once; without it (missed, or sent before the handler) look once a second.
        now = time.monotonic()
        if not self._signalled and now - self._last_look < 1.0:
            return False
        self._signalled = False
        self._last_look = now
        request = self.checkpoint_request()
        if request is None or request["seq"] <= self._handled_seq:
            return False
        self._pending = request
        return True

    def should_stop(self):
        """True when the pending (or last handled) request asks to checkpoint and exit."""
        request = self._pending or self.checkpoint_request()
        return bool(request and request.get("exit"))

    def save_checkpoint(self, path, write, step=None):
        """Save atomically: ``write(tmp_path)``, fsync, rename to ``path``, fsync the directory, then
        report a complete checkpoint naming the pending request. Returns True when saved; a failure
        is reported as an error event (the old checkpoint stays) and returns False."""
        path = str(path)
        directory = os.path.dirname(os.path.abspath(path))
        tmp = os.path.join(directory, ".%s.tmp-%d" % (os.path.basename(path), os.getpid()))
        try:
            os.makedirs(directory, exist_ok=True)
            write(tmp)
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            dfd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except Exception as error:  # noqa: BLE001 - report it, keep the loop alive
            try:
                os.unlink(tmp)
            except OSError:
                pass
            self.error("saving checkpoint %s failed: %s: %s" % (path, type(error).__name__, error))
            return False
        self.checkpoint(path, step=step)
        return True

    def ack(self):
        """Acknowledge the pending checkpoint-and-exit request (after the checkpoint event), then exit."""
        request = self._pending or self.checkpoint_request()
        if request is None:
            return
        self._emit("ack", {"request": request["seq"]})
        self._handled_seq = max(self._handled_seq, request["seq"])
        self._pending = None

    def progress(self, phase=None, percent=None, step=None, total=None, message=None, **extra):
        """How far the job is; every field is optional, further keyword fields are kept."""
        fields = dict(extra)
        for key, value in (("phase", phase), ("percent", percent), ("step", step),
                           ("total", total), ("message", message)):
            if value is not None:
                fields[key] = value
        self._emit("progress", fields)

    def phase(self, name, **fields):
        """Enters a phase (download, prepare, train, save...): sugar for ``progress(phase=name)``."""
        fields = {key: value for key, value in fields.items() if value is not None}
        fields["phase"] = name
        self._emit("progress", fields)

    def metric(self, name, value, step=None):
        """One value of a metric; NaN and infinities are written as "NaN", "Infinity", "-Infinity"."""
        self._emit("metric", _optional({"name": name, "value": value}, "step", step))

    def checkpoint(self, path, step=None, complete=True):
        """The job saved a checkpoint at ``path`` (``complete``: fully on disk); it answers the
        pending checkpoint request, if any (its sequence number goes in ``request``)."""
        fields = _optional({"path": str(path), "complete": bool(complete)}, "step", step)
        if self._pending is not None:
            fields["request"] = self._pending["seq"]
            if not self._pending.get("exit"):
                self._handled_seq = max(self._handled_seq, self._pending["seq"])
                self._pending = None
        self._emit("checkpoint", fields)

    def heartbeat(self):
        """The job is alive."""
        self._emit("heartbeat", {})

    def info(self, message):
        """A line of news for the user."""
        self._emit("info", {"message": str(message)})

    def error(self, message, traceback=None):
        """The job reports an error; pass ``traceback.format_exc()`` as ``traceback``."""
        self._emit("error", _optional({"message": str(message)}, "traceback", traceback))

    def params(self, values=None, **more):
        """The run's parameters (a dict and/or keywords): kept in its record, later calls win."""
        fields = dict(values or {})
        fields.update(more)
        self._emit("params", {"params": fields})

    def close(self):
        """Closes the events file (optional: exiting closes it too). Later calls reopen it."""
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _emit(self, kind, fields):
        """Writes one event line; on any failure counts it and drops the descriptor."""
        if not self.enabled:
            return
        try:
            event = {"t": _now(), "kind": kind}
            event.update(fields)
            text = json.dumps(_clean(event, 0), allow_nan=False, default=str, separators=(",", ":"))
            data = (text + "\n").encode("utf-8")
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            written = 0
            for _ in range(_WRITE_ATTEMPTS_MAX):
                if written >= len(data):
                    break
                written += os.write(self._fd, data[written:])
            if written < len(data):
                raise OSError("short write: %d of %d bytes" % (written, len(data)))
        except Exception as error:  # noqa: BLE001 - the training loop must never see it
            self.write_errors += 1
            self.last_write_error = "%s: %s" % (type(error).__name__, error)
            self.close()


def reporter(environ=None):
    """A reporter writing to RUNWARDEN_EVENTS of ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    rw = Reporter(env.get("RUNWARDEN_EVENTS"))
    # Issue 14: requests come as a signal to the job's group and a line in the control file.
    if env.get("RUNWARDEN_CHECKPOINT_FILE"):
        rw.listen_for_checkpoints(env.get("RUNWARDEN_CHECKPOINT_FILE"), env.get("RUNWARDEN_CHECKPOINT_SIGNAL"))
    return rw


def _now():
    """The current UTC time in ISO 8601 with milliseconds."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _optional(fields, key, value):
    """``fields`` with ``key`` set when ``value`` is not None."""
    if value is not None:
        fields[key] = value
    return fields


def _clean(value, depth):
    """A JSON-ready copy: numpy/torch scalars as numbers, non-finite floats as their names."""
    if isinstance(value, (str, bool)) or value is None:
        return value
    if depth < _DEPTH_MAX and isinstance(value, dict):
        return {str(key): _clean(item, depth + 1) for key, item in value.items()}
    if depth < _DEPTH_MAX and isinstance(value, (list, tuple)):
        return [_clean(item, depth + 1) for item in value]
    if not isinstance(value, numbers.Number) and callable(getattr(value, "item", None)):
        try:
            value = value.item()
        except Exception:  # noqa: BLE001 - an array with several values: written as text
            return str(value)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return number
    return value if isinstance(value, (int, float)) else str(value)


def _parse_value(text):
    """A command-line ``value`` as an int, a float or the text itself."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def main(argv):
    """``runwarden_reporter.py KIND [key=value ...]``: writes one event; exits 2 on bad usage."""
    kinds = ("progress", "metric", "checkpoint", "heartbeat", "info", "error", "params")
    if len(argv) < 1 or argv[0] not in kinds or any("=" not in arg for arg in argv[1:]):
        sys.stderr.write("usage: runwarden_reporter.py {%s} [key=value ...]\n" % ",".join(kinds))
        return 2
    fields = {}
    for arg in argv[1:]:
        key, _, text = arg.partition("=")
        fields[key] = text if key in ("message", "name", "path", "phase", "traceback") else _parse_value(text)
    events = reporter()
    if argv[0] == "params":
        fields = {"params": fields}
    events._emit(argv[0], fields)
    if events.write_errors > 0:
        sys.stderr.write("runwarden_reporter: %s\n" % events.last_write_error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
