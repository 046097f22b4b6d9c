"""Unpaced sending (BindRes Speed 0): the pump fills the window in bursts, which keep
the window, keep the order, and stop at an MMS whose images are still to upload."""

from __future__ import annotations

from smscli.models import Message
from tests.test_oneshot_client import by_id, data_dir, jpeg, make_sim, send, sms, vendor_for  # noqa: F401

DELAY = 0.2  # the simulator answers each MsgSendReq this long after taking it


def test_bursts_keep_the_window_and_the_order(make_sim, data_dir, tmp_path) -> None:  # noqa: F811
    sim = make_sim(speed=0, delay=DELAY)
    vendor, _ = vendor_for(sim, data_dir, window=3)
    image = jpeg(tmp_path, 5_000)
    mms = Message(id="mms", to="01012340000", text="사진", sender="", type="mms", subject="s",
                  images=(str(image),))
    messages = [sms(i, to=f"0101234000{i}") for i in range(1, 5)] + [mms] + [
        sms(i, to=f"0101234000{i}") for i in range(5, 10)]
    results = by_id(send(vendor, messages))
    assert {r.status for r in results.values()} == {"accepted"} and len(results) == 10
    arrived = sim.accepted
    assert [a.user_msg_id for a in arrived] == [m.id for m in messages]  # in order, each once
    (taken,) = [a for a in arrived if a.user_msg_id == "mms"]
    assert taken.body["FileCount"] == 1 and sim.files[taken.body["FileName1"]] == image.read_bytes()
    # At most 3 unanswered: the 4th waits for the 1st's answer, the 7th for the 4th's...
    times = [a.accepted_at for a in arrived]
    assert all(times[i] - times[i - 3] >= DELAY * 0.9 for i in range(3, len(times)))
