#!/usr/bin/env python3
"""stories260K.golden.json -> one line per run: "prompt ids | greedy ids" (input of sx-cuda-run golden)."""
import json, sys

for run in json.load(open(sys.argv[1]))['runs']:
    print(' '.join(map(str, run['prompt_ids'])), '|', ' '.join(map(str, run['greedy_ids'])))
