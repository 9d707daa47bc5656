"""GenealogyRegistry: append-only placements, every rule enforced by the chain itself."""

import brownie
import pytest
from conftest import ROOT_ID, custom_error, unauthorized

ZERO = "0x" + "00" * 20


def test_root_is_placed_at_deployment(registry, GenealogyRegistry, admin, registrar):
    assert registry.rootId() == ROOT_ID
    assert registry.width() == 2
    sponsor, parent, position, placed_at = registry.placementOf(ROOT_ID)
    assert (sponsor, parent, position) == (0, 0, 0) and placed_at > 0
    tx = registry.tx
    assert tx.events["Placed"][0]["id"] == ROOT_ID


def test_deployment_refuses_root_id_zero(GenealogyRegistry, admin, registrar):
    with brownie.reverts(custom_error("InvalidDistributorId")):
        GenealogyRegistry.deploy(admin, registrar, 0, 2, {"from": admin})


def test_place_records_the_placement_and_emits_placed(registry, registrar, chain):
    tx = registry.place(2, ROOT_ID, ROOT_ID, 1, {"from": registrar})
    assert tx.events["Placed"][0] == {"id": 2, "sponsor": ROOT_ID, "parent": ROOT_ID, "position": 1}
    sponsor, parent, position, placed_at = registry.placementOf(2)
    assert (sponsor, parent, position) == (ROOT_ID, ROOT_ID, 1)
    assert placed_at == chain[tx.block_number].timestamp
    assert registry.childAt(ROOT_ID, 1) == 2
    assert registry.childAt(ROOT_ID, 0) == 0


def test_placement_of_an_unknown_id_is_empty(registry):
    assert tuple(registry.placementOf(99)) == (0, 0, 0, 0)


def test_place_reverts_for_a_duplicate_id(registry, registrar):
    registry.place(2, ROOT_ID, ROOT_ID, 0, {"from": registrar})
    with brownie.reverts("AlreadyPlaced: 2"):
        registry.place(2, ROOT_ID, ROOT_ID, 1, {"from": registrar})


def test_place_reverts_for_id_zero(registry, registrar):
    with brownie.reverts(custom_error("InvalidDistributorId")):
        registry.place(0, ROOT_ID, ROOT_ID, 0, {"from": registrar})


def test_place_reverts_for_an_unknown_sponsor(registry, registrar):
    with brownie.reverts("UnknownSponsor: 7"):
        registry.place(2, 7, ROOT_ID, 0, {"from": registrar})


def test_place_reverts_for_an_unknown_parent(registry, registrar):
    with brownie.reverts("UnknownParent: 8"):
        registry.place(2, ROOT_ID, 8, 0, {"from": registrar})


def test_place_reverts_for_a_position_beyond_the_width(registry, registrar):
    with brownie.reverts("PositionBeyondWidth: 2, 2"):
        registry.place(2, ROOT_ID, ROOT_ID, 2, {"from": registrar})


def test_place_reverts_for_an_occupied_position(registry, registrar):
    registry.place(2, ROOT_ID, ROOT_ID, 0, {"from": registrar})
    with brownie.reverts("PositionOccupied: 1, 0, 2"):
        registry.place(3, ROOT_ID, ROOT_ID, 0, {"from": registrar})


def test_place_reverts_for_a_caller_without_the_registrar_role(registry, alice):
    with brownie.reverts(unauthorized(alice, registry.REGISTRAR_ROLE())):
        registry.place(2, ROOT_ID, ROOT_ID, 0, {"from": alice})


def test_admin_can_grant_the_registrar_role_to_a_multisig(registry, admin, alice):
    registry.grantRole(registry.REGISTRAR_ROLE(), alice, {"from": admin})
    registry.place(2, ROOT_ID, ROOT_ID, 0, {"from": alice})
    assert registry.childAt(ROOT_ID, 0) == 2


def test_matrix_width_allows_three_children_and_refuses_a_fourth(matrix_registry, registrar):
    for position, child in enumerate((2, 3, 4)):
        matrix_registry.place(child, ROOT_ID, ROOT_ID, position, {"from": registrar})
    assert [matrix_registry.childAt(ROOT_ID, p) for p in range(3)] == [2, 3, 4]
    with brownie.reverts("PositionBeyondWidth: 3, 3"):
        matrix_registry.place(5, ROOT_ID, ROOT_ID, 3, {"from": registrar})


def test_unlimited_width_accepts_any_position(unilevel_registry, registrar):
    unilevel_registry.place(2, ROOT_ID, ROOT_ID, 0, {"from": registrar})
    unilevel_registry.place(3, ROOT_ID, ROOT_ID, 1_000_000, {"from": registrar})
    assert unilevel_registry.childAt(ROOT_ID, 1_000_000) == 3
    with brownie.reverts("PositionOccupied: 1, 1000000, 3"):
        unilevel_registry.place(4, ROOT_ID, ROOT_ID, 1_000_000, {"from": registrar})


def test_children_sharing_a_storage_word_keep_their_own_positions(unilevel_registry, registrar):
    # positions 0..3 share one packed slot, 4 starts the next
    for position in (3, 0, 4, 2, 1):
        unilevel_registry.place(10 + position, ROOT_ID, ROOT_ID, position, {"from": registrar})
    assert [unilevel_registry.childAt(ROOT_ID, p) for p in range(6)] == [10, 11, 12, 13, 14, 0]


def test_place_batch_places_in_order_and_later_items_may_use_earlier_ones(registry, registrar):
    requests = [(2, ROOT_ID, ROOT_ID, 0), (3, 2, 2, 1), (4, 3, 3, 0)]
    tx = registry.placeBatch(requests, {"from": registrar})
    assert [dict(e) for e in tx.events["Placed"]] == [
        {"id": i, "sponsor": s, "parent": p, "position": pos} for i, s, p, pos in requests
    ]
    for id_, sponsor, parent, position in requests:
        assert tuple(registry.placementOf(id_)[:3]) == (sponsor, parent, position)
        assert registry.childAt(parent, position) == id_


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        ((2, ROOT_ID, ROOT_ID, 1), "AlreadyPlaced: 2"),
        ((5, 9, ROOT_ID, 1), "UnknownSponsor: 9"),
        ((5, ROOT_ID, 9, 1), "UnknownParent: 9"),
        ((5, ROOT_ID, ROOT_ID, 0), "PositionOccupied: 1, 0, 2"),
        ((5, ROOT_ID, ROOT_ID, 5), "PositionBeyondWidth: 5, 2"),
    ],
)
def test_place_batch_is_atomic(registry, registrar, bad, error):
    good = [(2, ROOT_ID, ROOT_ID, 0), (3, 2, 2, 0)]
    with brownie.reverts(error):
        registry.placeBatch(good + [bad], {"from": registrar})
    assert tuple(registry.placementOf(2)) == (0, 0, 0, 0)
    assert registry.childAt(ROOT_ID, 0) == 0


def test_place_batch_reverts_when_empty(registry, registrar):
    with brownie.reverts(custom_error("EmptyBatch")):
        registry.placeBatch([], {"from": registrar})


def test_place_batch_reverts_for_a_caller_without_the_registrar_role(registry, alice):
    with brownie.reverts(unauthorized(alice, registry.REGISTRAR_ROLE())):
        registry.placeBatch([(2, ROOT_ID, ROOT_ID, 0)], {"from": alice})
    assert tuple(registry.placementOf(2)) == (0, 0, 0, 0)


def test_placement_of_and_child_at_round_trip_a_random_binary_tree(registry, registrar):
    import random

    rng = random.Random(7)
    free = [(ROOT_ID, 0), (ROOT_ID, 1)]
    expected = {}
    requests = []
    for new_id in range(2, 62):
        parent, position = free.pop(rng.randrange(len(free)))
        sponsor = rng.choice([ROOT_ID, *expected])
        requests.append((new_id, sponsor, parent, position))
        expected[new_id] = (sponsor, parent, position)
        free += [(new_id, 0), (new_id, 1)]
    registry.placeBatch(requests, {"from": registrar})
    for new_id, (sponsor, parent, position) in expected.items():
        assert tuple(registry.placementOf(new_id)[:3]) == (sponsor, parent, position)
        assert registry.childAt(parent, position) == new_id
    for parent, position in free:
        assert registry.childAt(parent, position) == 0
