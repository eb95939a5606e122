"""Prompts such as people send: English and Chinese, short and long, now and then with markup."""

from __future__ import annotations

import random

_SUBJECTS = [
    "a golden retriever puppy",
    "an astronaut",
    "a red vintage car",
    "a barista",
    "a paper boat",
    "a street dancer",
    "a hummingbird",
    "a skateboarder",
    "a steaming bowl of ramen",
    "a lighthouse",
    "our new sneaker, the 'Aero 2'",
    "a cat wearing sunglasses",
]
_ACTIONS = [
    "runs through a field of sunflowers",
    "floats slowly past the camera",
    "drives along a coastal road at sunset",
    "pours latte art in slow motion",
    "drifts down a rain-soaked street",
    "spins under neon lights",
    "hovers beside a bright flower",
    "lands a kickflip",
    "sits on a wooden table as steam rises",
    "stands against crashing waves",
]
_STYLES = [
    "cinematic, shallow depth of field",
    "anime style",
    "shot on 35mm film, warm grain",
    "hyper-realistic, 4k",
    "pastel watercolor look",
    "documentary handheld camera",
    "product commercial lighting",
]
_CAMERA = ["slow dolly in", "drone shot", "close-up", "orbiting camera", "static tripod shot"]
_CHINESE = [
    "一只熊猫在竹林里吃竹子，阳光透过树叶，电影质感",
    "夜晚的上海外滩，霓虹灯倒映在黄浦江上，延时摄影",
    "少女在樱花树下转身微笑，花瓣飘落，日系清新风格",
    "产品展示：白色耳机在旋转的展台上，柔和的棚拍灯光",
    "古风侠客在雪地中拔剑，慢动作，水墨风格",
]
_MARKETING = [
    'Banner text "<b>50% OFF</b>" flies in & glows over {subject}',
    "Title card: 'Summer Sale' -> {subject} {action} <br> CTA: Shop now & save",
]


def make_prompt(rng: random.Random) -> str:
    """One prompt; about one in five is Chinese and a few carry markup-like text."""
    roll = rng.random()
    subject, action = rng.choice(_SUBJECTS), rng.choice(_ACTIONS)
    if roll < 0.2:
        return rng.choice(_CHINESE)
    if roll < 0.23:
        return rng.choice(_MARKETING).format(subject=subject, action=action)
    prompt = f"{subject[0].upper()}{subject[1:]} {action}, {rng.choice(_STYLES)}"
    if rng.random() < 0.5:
        prompt += f", {rng.choice(_CAMERA)}"
    if rng.random() < 0.15:
        prompt += ". " + " ".join(rng.choice(_STYLES) for _ in range(rng.randint(3, 12)))
    return prompt
