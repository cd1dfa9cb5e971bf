"""The channel layer (Redis) outlasts a quiet WebSocket: a consumer with nothing to receive waits, it does not fail."""

import asyncio

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer


def test_a_receive_with_nothing_to_read_for_longer_than_a_blocking_pop_keeps_waiting():
    layer = get_channel_layer()

    async def quiet_then_message() -> dict:
        channel = await layer.new_channel()
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(layer.brpop_timeout + 1.5)  # one whole blocking pop and more with nothing sent
        assert not waiting.done(), waiting.exception()  # it raised "Timeout reading from" Redis before
        await layer.send(channel, {"type": "hello"})
        return await asyncio.wait_for(waiting, 5)

    assert async_to_sync(quiet_then_message)() == {"type": "hello"}


def test_a_receive_cancelled_at_any_step_of_its_commands_ends_at_once():
    """A consumer's receive is cancelled when its WebSocket closes. With a socket timeout, redis-py sends through
    asyncio.wait_for, which on Python 3.11 swallows a cancellation that lands as the send completes: the receive then
    went on polling Redis for ever (a hung test, a leaked consumer). Cancel fresh receives after 0, 1, 2, ... steps
    of the event loop, so one lands on each step of connecting and sending: every one must end at once."""
    layer = get_channel_layer()

    async def ends_when_cancelled_after(steps: int) -> bool:
        receiving = asyncio.ensure_future(layer.receive(await layer.new_channel()))
        for _ in range(steps):
            await asyncio.sleep(0)
        receiving.cancel()
        done, _ = await asyncio.wait([receiving], timeout=2)
        return bool(done)

    async def sweep() -> list[int]:
        return [steps for steps in range(40) if not await ends_when_cancelled_after(steps)]

    loop = asyncio.new_event_loop()
    stuck = loop.run_until_complete(sweep())
    if not stuck:  # closing a loop whose task never ends would hang: such a loop is left as it is
        loop.close()
    assert stuck == [], f"receives cancelled after these steps never ended: {stuck}"
