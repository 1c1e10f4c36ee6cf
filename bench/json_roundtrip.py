# SPDX-License-Identifier: MIT
# Benchmark input for python3: dump 60,000 records to JSON text and load them back.
import json

records = [{"id": i, "name": "user%d" % i, "tags": ["a", "b", str(i % 7)],
            "score": i * 0.5, "active": i % 3 == 0} for i in range(60000)]
text = json.dumps(records)
back = json.loads(text)
assert len(back) == len(records) and back[-1]["id"] == 59999
print(len(text))
