from tests.api.helpers import create_consultation


async def test_organizer_creates_a_consultation_and_moves_it_to_collecting(world):
    cid = await create_consultation(world, stage="COLLECTING")
    data = await world.anon.query(
        "query($id: ID!) { consultation(id: $id) { title stage stageHistory { from to note } "
        "parties { name contact } } }",
        {"id": cid},
    )
    c = data["consultation"]
    assert c["stage"] == "COLLECTING"
    assert [(h["from"], h["to"]) for h in c["stageHistory"]] == [(None, "DRAFT"), ("DRAFT", "COLLECTING")]
    assert [p["name"] for p in c["parties"]] == ["菜园市场", "解放街道办事处", "辖区单位联合体"]
    assert all(p["contact"] is None for p in c["parties"])
