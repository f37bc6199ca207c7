"""Japanese -> the English parser's vocabulary (longest match over unspaced text; see lexicon_zh)."""

from __future__ import annotations

_ADJ_STEMS = {"グロ": "gory", "怖": "scary", "暗": "dark", "重": "heavy", "長": "long", "難し": "complex",
              "悲し": "sad", "激し": "intense", "痛": "painful", "エロ": "sexy", "うるさ": "loud", "古": "old",
              "子どもっぽ": "childish", "子供っぽ": "childish", "甘": "sweet"}
_NEG_LEAD = {"もう少し": "less", "もうちょっと": "less", "もっと": "less", "あまり": "not too", "そんなに": "not too"}

PATTERNS: list[tuple[str, str]] = [
    (r"(?:19)?([2-9])0\s*年代(?:の)?", r" from the 19\g<1>0s "),
    (r"(20[0-2])0\s*年代(?:の)?", r" from the \g<1>0s "),
    (r"(1[89]\d\d|20\d\d)\s*年?\s*(?:以降|より後|以後)(?:の)?", r" after \g<1> "),
    (r"(1[89]\d\d|20\d\d)\s*年?\s*(?:以前|より前)(?:の)?", r" before \g<1> "),
    (r"(1[89]\d\d|20\d\d)\s*年(?:の)?", r" from \g<1> "),
    (r"([1-9])\s*(?:番目|つ目|本目|冊目)(?:の)?", lambda m: f" the {_ORD[int(m.group(1))]} one "),
    # An i-adjective's negation is its stem + くない ("グロくない"): "a bit more" before it means less.
    (r"(もう少し|もうちょっと|もっと|あまり|そんなに)?\s*(" + "|".join(_ADJ_STEMS) + r")くな(?:い|く)",
     lambda m: f" {_NEG_LEAD.get(m.group(1) or '', 'not')} {_ADJ_STEMS[m.group(2)]} "),
    # Japanese puts the verdict last ("ホラーは嫌い"); the English parser negates what follows its
    # trigger, so the verdict moves in front of its topic: "嫌い ホラー" -> "hated horror".
    (r"([^\s、。！？!?,.]{1,30}?)\s*[はがも]\s*(大嫌い|嫌い|苦手|好きじゃない|好きではない)(?:です|だ|なんです|なんだ)?",
     r" \g<2> \g<1> "),
]
_ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth",
        9: "ninth"}

PHRASES: dict[str, str] = {
    # intents
    "おすすめ": "recommend", "オススメ": "recommend", "お勧め": "recommend", "お薦め": "recommend",
    "推薦": "recommend", "教えて": "tell me", "紹介して": "recommend", "探して": "I'm looking for",
    "探しています": "I'm looking for", "見たい": "I want to watch", "観たい": "I want to watch",
    "読みたい": "I want to read", "買いたい": "I want", "ください": "please", "欲しい": "I want",
    "もっと": "more", "他には": "others?", "他の": "other", "別の": "something else", "ほかに": "others?",
    "なぜ": "why", "なんで": "why", "どうして": "why", "について": "about", "どんな話": "what is it about",
    "あらすじ": "what is it about", "最初から": "start over", "やり直し": "start over", "リセット": "reset",
    "私のことを忘れて": "forget me", "データを削除": "delete my data", "私の好み": "my preferences",
    "前に何を": "what did you recommend before", "購読": "subscribe", "購読解除": "unsubscribe",
    "配信停止": "unsubscribe", "ヘルプ": "help", "使い方": "how does this work", "何ができる": "what can you do",
    "こんにちは": "hello", "こんばんは": "good evening", "おはよう": "good morning", "ありがとう": "thanks",
    # stance
    "大好き": "I loved", "好きでした": "I liked", "好き": "liked", "気に入った": "I liked", "面白かった": "was great",
    "良かった": "was good", "よかった": "was good", "嫌い": "hated", "大嫌い": "hated", "苦手": "can't stand", "好きではない": "didn't like", "好きじゃない": "didn't like",
    "つまらなかった": "was boring", "つまらない": "boring", "見た": "already seen", "観た": "already seen",
    "読んだ": "already read", "全部ダメ": "these are all bad", "全部見た": "I've seen all of them",
    # references
    "最初の": "the first one", "一番目": "the first one", "二番目": "the second one", "三番目": "the third one",
    "最後の": "the last one", "それ": "it", "これ": "this one", "あれ": "that one", "みたいな": "like",
    "のような": "like", "似た": "similar", "ような": "like",
    # negation, critiques
    "あまり": "not too", "すぎない": "not too", "過ぎない": "not too", "じゃない": "not", "ではない": "not",
    "なし": "no", "以外": "except", "もう少し": "a bit more", "少し": "a bit", "より": "more",
    "軽い": "light", "軽め": "lighter", "明るい": "feel-good", "暗い": "dark", "グロい": "gory", "グロ": "gory",
    "血まみれ": "gory", "残酷": "violent", "暴力的": "violent", "暴力": "violent", "怖い": "scary", "怖くない": "not scary",
    "新しい": "recent", "古い": "old", "短い": "short", "長い": "long", "感動": "heartwarming", "泣ける": "tearjerker",
    "笑える": "funny", "面白い": "funny", "ロマンチック": "romantic", "どんでん返し": "twist-ending",
    "名作": "classic", "古典": "classic", "最新": "newest",
    # genres
    "ホラー": "horror", "コメディ": "comedy", "コメディー": "comedy", "ロマンス": "romance", "恋愛": "romance",
    "アクション": "action", "冒険": "adventure", "スリラー": "thriller", "サスペンス": "suspenseful",
    "ミステリー": "mystery", "推理": "mystery detective", "探偵": "detective", "犯罪": "crime", "ドラマ": "drama",
    "戦争": "war", "西部劇": "western", "アニメ": "animation", "ドキュメンタリー": "documentary",
    "ミュージカル": "musical", "音楽": "music", "スーパーヒーロー": "superhero", "ゾンビ": "zombies",
    "吸血鬼": "vampires", "怪獣": "monsters", "モンスター": "monsters", "超常": "supernatural", "歴史": "historical",
    "伝記": "biography", "実話": "true-story", "家族": "family", "子供": "children", "青春": "coming-of-age",
    "友情": "friendship", "復讐": "revenge", "スパイ": "spy", "武術": "martial-arts", "スポーツ": "sports",
    "サバイバル": "survival", "SF": "sci-fi", "ＳＦ": "sci-fi", "宇宙": "space", "ロボット": "robots",
    "タイムトラベル": "time-travel", "ディストピア": "dystopia", "ファンタジー": "fantasy", "魔法": "magic",
    "哲学": "philosophy", "心理": "psychological", "科学": "science", "経済": "economics", "ビジネス": "business",
    "自己啓発": "self-help", "回想録": "memoir", "ノンフィクション": "nonfiction", "漫画": "graphic novel",
    "文学": "literary fiction", "詩": "poetry", "クリスマス": "christmas",
    # domains
    "映画": "movie", "作品": "one", "本": "book", "小説": "novel", "書籍": "book", "監督": "directed by",
    "作家": "author", "著者": "author", "の本": "book by", "読む": "read", "見る": "watch", "観る": "watch",
    "良い": "good", "いい": "good", "何か": "something", "何か良い": "something good", "と": " and ",
    "でも": "but", "けど": "but", "だけ": "only", "の": " ", "か": "?",
}
