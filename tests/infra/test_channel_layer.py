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
