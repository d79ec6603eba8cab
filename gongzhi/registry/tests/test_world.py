def test_world_builds_two_communities(world):
    assert world.community_a.path != world.community_b.path
    assert world.person_a1.household == world.household_a1
