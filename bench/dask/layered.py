"""Dask distributed on the same DAGs as bench/mesh.bench.ts, for a ratio in the same run.

Usage: python3 bench/dask/layered.py <layers> <width> [busy_tasks busy_ms]
Prints one JSON line: {"tasks": n, "seconds": s, "tasksPerSecond": r, "parallelMakespanMs": m}.
A LocalCluster of two single-threaded worker processes stands for the two single-slot Node peers.
"""
import json
import sys
import time

from dask.distributed import Client, LocalCluster


def noop(*args):
    return args[-1]


def busy(k, ms):
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        pass
    return k


def layered_graph(layers, width):
    graph = {}
    for l in range(layers):
        for i in range(width):
            k = l * 100000 + i
            if l == 0:
                graph[f"l{l}-{i}"] = (noop, k)
            else:
                graph[f"l{l}-{i}"] = (noop, f"l{l-1}-{i}", f"l{l-1}-{(i + 1) % width}", k)
    return graph


def main():
    layers, width = int(sys.argv[1]), int(sys.argv[2])
    busy_tasks = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    busy_ms = float(sys.argv[4]) if len(sys.argv) > 4 else 100
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        # Warm-up: start workers and import paths before timing.
        client.get(layered_graph(2, 10), ["l1-0"])
        graph = layered_graph(layers, width)
        keys = list(graph.keys())
        started = time.perf_counter()
        client.get(graph, keys[-width:])
        seconds = time.perf_counter() - started
        out = {"tasks": len(graph), "seconds": seconds, "tasksPerSecond": len(graph) / seconds}
        if busy_tasks > 0:
            g = {f"b{i}": (busy, i, busy_ms) for i in range(busy_tasks)}
            started = time.perf_counter()
            client.get(g, list(g.keys()))
            out["parallelMakespanMs"] = (time.perf_counter() - started) * 1000
            out["parallelEfficiency"] = (busy_tasks * busy_ms / 2) / out["parallelMakespanMs"]
        print(json.dumps(out))


if __name__ == "__main__":
    main()
