"""OneShot unlimited sending: ``OneShotVendor.send`` against a minimal asyncio client of
the same frames (goal: ≥ 0.8), same window, same simulator.

    python bench/bench_oneshot_ratio.py [--messages 20000] [--window 100] [--rounds 3]

The simulator (Speed 0: no limit) runs in its own process. Per round, both send N SMS
on one connection with at most ``--window`` unanswered MsgSendReq: the minimal client
(this file: BindReq, then MsgSendReq frames from ``encode_frame``, answers counted with
``FrameDecoder``; no journal, no pacing, no retry) and the vendor (with ``on_result``
doing nothing). Compared by this process's CPU time per message (the simulator's is
elsewhere), alternating who goes first; the median ratio is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

# BENCH_SMSCLI_ROOT: measure another checkout (e.g. the revision before a change).
ROOT = Path(os.environ.get("BENCH_SMSCLI_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

from smscli.models import Message  # noqa: E402
from smscli.protocol.oneshot.crypto import BodyCipher, parse_iv, parse_key_material  # noqa: E402
from smscli.protocol.oneshot.frames import Frame, FrameDecoder, encode_frame  # noqa: E402

KEY, IV, BIND_ID, PASSWORD = "0123456789abcdef", "fedcba9876543210", "test001", "test001#$$%"
TEXT = "안녕하세요 벤치마크 문자입니다"


def run_sim(conn) -> None:
    from smscli.sim.oneshot import OneShotSimulator

    with OneShotSimulator(speed=0, report_delay=36_000) as sim:
        conn.send(sim.address)
        conn.recv()


def body(uid: str, phone: str) -> dict:
    return {"UserMsgId": uid, "UserMsgSubId": "", "MsgType": 4, "PhoneNo": phone,
            "CallbackNo": "15666639", "TranId": "", "Subject": "", "Message": TEXT,
            "KakaoAdFlag": "", "KakaoNationCode": "", "KakaoSenderKey": "", "KakaoTemplateCode": "",
            "KakaoTimeout": 0, "KakaoButton": "", "FileCount": 0, "FileType1": "", "FileName1": "",
            "FileType2": "", "FileName2": "", "FileType3": "", "FileName3": "", "UserData": "",
            "ResellerCode": ""}


async def bare(address: tuple[str, int], n: int, window: int, tag: str) -> int:
    reader, writer = await asyncio.open_connection(*address)
    base = BodyCipher(parse_key_material(KEY), parse_iv(IV))
    decoder = FrameDecoder()
    writer.write(encode_frame("BindReq", base.encrypt({"BindId": BIND_ID, "BindPwd": PASSWORD, "Version": 1})))
    bound = False
    while not bound:
        for item in decoder.feed(await reader.read(65536)):
            bound = isinstance(item, Frame) and item.method == "BindRes"
    sent = answered = 0
    while answered < n:
        while sent < n and sent - answered < window:
            writer.write(encode_frame("MsgSendReq", body(f"{tag}{sent:08d}", f"010{sent % 100_000_000:08d}")))
            sent += 1
        await writer.drain()
        data = await reader.read(65536)
        if not data:
            raise ConnectionError("the simulator closed the connection")
        for item in decoder.feed(data):
            if isinstance(item, Frame) and item.method == "MsgSendRes":
                answered += 1
    writer.close()
    return answered


class _Profile:
    def __init__(self, data_dir: Path, **values: object) -> None:
        self.name, self.vendor, self.data_dir, self._values = "bench", "oneshot", data_dir, values

    def get(self, key: str, default: object = None) -> object:
        return self._values.get(key, default)

    def require(self, key: str) -> object:
        return self._values[key]

    def secret(self, key: str = "password") -> str:
        return str(self._values[key])


class _Events:
    def add_suppression(self, *args: object) -> None: ...

    def add_phone_change(self, *args: object) -> None: ...

    def token_get(self, key: str) -> None:
        return None

    def token_put(self, *args: object) -> None: ...


def ours(address: tuple[str, int], n: int, window: int, tag: str, data_dir: Path) -> int:
    from smscli.vendors.oneshot import OneShotVendor

    vendor = OneShotVendor(_Profile(data_dir, host=address[0], port=address[1], bind_id=BIND_ID,
                                    password=PASSWORD, aes_key=KEY, aes_iv=IV, sender="15666639",
                                    window=window), _Events())
    done = [0]

    def count(result: object) -> None:
        done[0] += 1

    messages = (Message(id=f"{tag}{i:08d}", to=f"010{i % 100_000_000:08d}", text=TEXT, sender="")
                for i in range(n))
    vendor.send(messages, count)
    return done[0]


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=20_000)
    ap.add_argument("--window", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT)  # the simulator's process too
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    sim = ctx.Process(target=run_sim, args=(there,), daemon=True)
    sim.start()
    address = tuple(here.recv())
    n, w = args.messages, args.window
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bare(address, 500, w, "wb"))
        ours(address, 500, w, "wv", Path(tmp))
        for round_no in range(args.rounds):
            runs = [("bare", lambda r=round_no: asyncio.run(bare(address, n, w, f"b{r}-"))),
                    ("ours", lambda r=round_no: ours(address, n, w, f"v{r}-", Path(tmp)))]
            if round_no % 2:
                runs.reverse()
            cpu = {}
            for name, fn in runs:
                start = time.process_time()
                assert fn() == n
                cpu[name] = time.process_time() - start
            ratios.append(cpu["bare"] / cpu["ours"])
            print(f"round {round_no + 1}: minimal client {cpu['bare'] / n * 1e6:.0f} µs/msg, "
                  f"OneShotVendor.send {cpu['ours'] / n * 1e6:.0f} µs/msg (CPU), ratio {ratios[-1]:.2f}")
    here.send("stop")
    sim.join(10)
    print(f"OneShot unlimited, window {w}, {n:,} messages: median ratio {statistics.median(ratios):.2f} "
          "(goal ≥ 0.8)")


if __name__ == "__main__":
    main()
