"""BizNetShot simulator: the HTTP side, on :mod:`smscli.httpd`. The server class and the
request handler: ``POST .../corp/send_message.php`` is read as a form, judged by
:meth:`smscli.sim.netshot.NetshotSim.handle_send` and answered as ``key: value`` lines in
EUC-KR (or a 302 to ``returnURL``), or not at all when the answer is dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from smscli.httpd import BoundedHTTPServer, BufferedHandler
from smscli.listen import BadPush, read_body, send_text
from smscli.masking import mask_target
from smscli.sim.netshot_form import FormError, encode_query, parse_multipart, parse_urlencoded
from smscli.sim.netshot_rules import ANSWER_KEYS, SEND_PATH

if TYPE_CHECKING:
    from smscli.sim.netshot import NetshotSim


class NetshotServer(BoundedHTTPServer):
    sim: NetshotSim


class NetshotHandler(BufferedHandler):
    server: NetshotServer

    def do_POST(self) -> None:
        sim = self.server.sim
        if not urlsplit(self.path).path.endswith(SEND_PATH):
            send_text(self, 404, f"not found: POST .{SEND_PATH}\n")
            return
        try:
            body = read_body(self, limit=self.server.max_body)
            ctype = self.headers.get("Content-Type", "")
            if ctype.lower().startswith("multipart/form-data"):
                form, file = parse_multipart(body, ctype)
            else:
                form, file = parse_urlencoded(body), None
        except (BadPush, FormError) as exc:
            status = getattr(exc, "status", 400)
            sim.log(f"POST {mask_target(self.path)} -> {status} {exc}")
            send_text(self, status, f"{exc}\n", "text/plain; charset=euc-kr")
            return
        sim.throttle()
        answer = sim.handle_send(form, file)
        dropped = sim.drops(answer)
        sim.log(f"POST {mask_target(self.path)} -> sendCode {answer['sendCode']} "
                f"corpfrcode {answer['corpfrcode']!r} ({len(answer['toNumber'].split(',')) if answer['toNumber'] else 0} numbers)"
                + (" (answer dropped)" if dropped else ""))
        sim.linger()
        if dropped:
            self.close_connection = True  # no answer: the server closes the connection
            return
        return_url = form.get("returnURL", "")
        if return_url:
            sep = "&" if "?" in return_url else "?"
            self.send_response(302)
            self.send_header("Location", return_url + sep + encode_query(answer))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        text = "".join(f"{k}: {answer.get(k, '')}\n" for k in ANSWER_KEYS)
        send_text(self, 200, "", "text/plain; charset=euc-kr", body=text.encode("cp949", "replace"))

    def do_GET(self) -> None:
        send_text(self, 405, f"BizNetShot simulator: POST the send form to {SEND_PATH}\n")

