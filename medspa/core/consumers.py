"""The staff WebSocket: one connection per browser tab, joined to its clinic's group."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from medspa.core.live import Relay, clinic_group


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Pushes live events of the signed-in staff member's active clinic; nothing else."""

    async def connect(self) -> None:
        actor = self.scope.get("actor")
        if actor is None or actor.clinic is None:
            await self.close(code=4401)
            return
        self.group = clinic_group(actor.clinic.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await Relay.ensure_running()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_event(self, message: dict) -> None:
        await self.send_json({"type": "event", "event": message["event"], "payload": message["payload"]})
