#!/usr/bin/env python3
"""Writes synthetic single-line text images and their ground truth, for OCR workloads and tests.

    python3 /opt/textlines.py --count 256 --seed 7 --out /out [--format png|jpeg|mixed] [--mode L|RGB]

Each image is black text on white in DejaVu Sans at a random size of 26-34 px, 48 px high, as wide
as the text plus a few pixels either side; the text is 1-4 words from the fixed list below, now and
then a number, sometimes capitalised. Output: /out/line-0000.png ... and /out/truth.jsonl with one
{"file": "line-0000.png", "text": "..."} per image, in order. The same seed (and image version)
gives the same files byte for byte.
"""

import argparse
import json
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
HEIGHT = 48

# Common English words, fixed so that a seed always means the same text.
WORDS = """
able about above across after again against along also always among animal answer apple area
around asked away back ball bank base became because become been before began behind being below
best better between big bird black blue boat body book both bottom box boy bread bring brown build
built call came can car care carry case cat cause center change check child city class clear close
cold color come common copy could country course cover cross dark day deep did does dog done door
down draw dream during each early earth east easy eight end enough even ever every eye face fact
fall family far farm fast father feel feet few field fill final find fine fire first fish five
floor follow food foot force form found four free friend from front full game garden gave get girl
give glass gold good got great green ground group grow half hand happy hard have head hear heard
heart heat heavy help here high hill hold home horse hot hour house how idea inch island just keep
kind king know land language large last late laugh lead learn leave left less letter life light
like line list little live long look lost loud love low made main make man many map mark may mean
measure meet might mile milk mind minute miss money moon more morning most mother mountain move
much music must name near need never new next night north note nothing notice number ocean off
office often old once only open order other our over page paper part pass past pattern people
perhaps person picture piece place plain plan plant play point poor power press pretty problem
product pull put question quick quiet rain ran reach read ready real record red remember rest
right river road rock room round rule run said same saw say school science sea second see seem
self send sentence serve set several shape share ship short should show side simple since sing
size sleep slow small snow soft some song soon sound south space special spring stand star start
state stay step still stone stood stop store story street strong study such summer sun sure table
take talk teach tell ten test than that their them then there these thing think third those
though thought three through time today together told took top toward town travel tree true try
turn two under unit until upon use usual very voice wait walk wall want warm watch water wave way
weather week weight well went west what wheel when where which while white whole why wide wild
will wind window winter wish with without woman wonder wood word work world would write year yes
yellow young
""".split()


def line_text(rng):
    words = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.12:
            words.append(str(rng.randint(0, 9999)))
        else:
            words.append(rng.choice(WORDS))
    if rng.random() < 0.2:
        words[0] = words[0].capitalize()
    return " ".join(words)


def render(text, size, pad_left, pad_right, shift, mode):
    font = ImageFont.truetype(FONT, size)
    left, _, right, _ = font.getbbox(text)
    ascent, descent = font.getmetrics()
    width = (right - left) + pad_left + pad_right
    image = Image.new(mode, (width, HEIGHT), "white")
    top = (HEIGHT - (ascent + descent)) // 2 + shift
    ImageDraw.Draw(image).text((pad_left - left, top), text, font=font, fill="black")
    return image


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=16, help="number of images (default 16)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default="/out", help="output directory (default /out)")
    parser.add_argument("--format", choices=["png", "jpeg", "mixed"], default="png",
                        help="file format; mixed alternates PNG and JPEG (default png)")
    parser.add_argument("--mode", choices=["L", "RGB"], default="L",
                        help="grayscale (L, default) or RGB pixels")
    args = parser.parse_args(argv)
    if args.count < 0 or args.count > 1_000_000:
        parser.error("--count must be 0..1000000")

    rng = random.Random(args.seed)
    try:
        os.makedirs(args.out, exist_ok=True)
        truth = []
        for i in range(args.count):
            text = line_text(rng)
            size = rng.randint(26, 34)
            pad_left, pad_right, shift = rng.randint(3, 8), rng.randint(3, 8), rng.randint(-2, 2)
            image = render(text, size, pad_left, pad_right, shift, args.mode)
            jpeg = args.format == "jpeg" or (args.format == "mixed" and i % 2 == 1)
            name = f"line-{i:04d}.{'jpg' if jpeg else 'png'}"
            if jpeg:
                image.save(os.path.join(args.out, name), "JPEG", quality=92)
            else:
                image.save(os.path.join(args.out, name), "PNG", optimize=False)
            truth.append({"file": name, "text": text})
        with open(os.path.join(args.out, "truth.jsonl"), "w", encoding="utf-8") as f:
            for entry in truth:
                f.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
    except PermissionError as error:
        print(
            f"textlines.py: cannot write {error.filename}: permission denied. The image runs as uid 10001; "
            f"run it with --user $(id -u):$(id -g), or make the directory writable for uid 10001.",
            file=sys.stderr,
        )
        return 1
    print(f"textlines.py: wrote {args.count} images and truth.jsonl to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
