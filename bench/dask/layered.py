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


def layered_graph(layers, width, salt=0):
    graph = {}
    for l in range(layers):
        for i in range(width):
            k = salt * 10000000 + l * 100000 + i
            if l == 0:
                graph[f"s{salt}-l{l}-{i}"] = (noop, k)
            else:
                graph[f"s{salt}-l{l}-{i}"] = (noop, f"s{salt}-l{l-1}-{i}", f"s{salt}-l{l-1}-{(i + 1) % width}", k)
    return graph


def main():
    layers, width = int(sys.argv[1]), int(sys.argv[2])
    busy_tasks = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    busy_ms = float(sys.argv[4]) if len(sys.argv) > 4 else 100
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, Client(cluster) as client:
        # As for Handout (mesh.bench.ts): one warm-up run of the same size, then the median of three runs.
        runs = []
        for salt in range(4):
            graph = layered_graph(layers, width, salt)
            keys = list(graph.keys())
            started = time.perf_counter()
            client.get(graph, keys[-width:])
            runs.append(time.perf_counter() - started)
        seconds = sorted(runs[1:])[1]
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
