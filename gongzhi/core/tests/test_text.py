from gongzhi.core.text import pinyin_keys


def test_pinyin_keys_give_full_pinyin_and_initials():
    assert pinyin_keys("张晓明") == ("zhangxiaoming", "zxm")


def test_u_umlaut_is_written_v():
    full, initials = pinyin_keys("吕")
    assert full == "lv" and initials == "l"


def test_latin_names_keep_their_letters():
    assert pinyin_keys("Li Wei") == ("liwei", "lw")


def test_keys_of_a_prefix_are_a_prefix_of_the_keys():
    for name in ["单雄信", "重阳节", "曾国藩", "长孙无忌", "乐嘉"]:
        full, initials = pinyin_keys(name)
        for end in range(1, len(name)):
            part_full, part_initials = pinyin_keys(name[:end])
            assert full.startswith(part_full) and initials.startswith(part_initials)
