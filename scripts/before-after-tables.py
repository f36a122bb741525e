"""Before/after tables from saved criterion baselines: python3 scripts/before-after-tables.py before1,after1"""
import json, os, sys, glob
root = os.path.join(os.environ.get('CARGO_TARGET_DIR', 'target'), 'criterion')
runs = sys.argv[1].split(',')  # e.g. before1,after1
def med(path, run):
    f = os.path.join(root, path, run, 'estimates.json')
    try:
        return json.load(open(f))['median']['point_estimate']
    except Exception:
        return None
def fmt(ns):
    if ns is None: return '–'
    if ns >= 1e6: return f'{ns/1e6:.2f} ms'
    if ns >= 1e3: return f'{ns/1e3:.2f} µs'
    return f'{ns:.1f} ns'
def rng(vals):
    vals=[v for v in vals if v is not None]
    if not vals: return '–'
    lo,hi=min(vals),max(vals)
    if len(vals)==1 or hi/lo<1.03: return fmt(lo) if len(vals)==1 else fmt((lo+hi)/2)
    return f'{fmt(lo)} – {fmt(hi)}'
def ratio(a,b):
    if a is None or b is None: return '–'
    return f'{a/b:.1f}×'
def side(tag):  # before runs and after runs
    return [r for r in runs if r.startswith(tag)]
B, A = side('before'), side('after')
print('### maps (GCounter, VectorClock)\n')
print('| group | actors | overlap | n | concord before | concord after | crdts (all runs) | crdts ÷ concord before | crdts ÷ concord after | ns/entry after |')
print('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for g in ['vector_clock_merge','gcounter_merge']:
    for k in ['uuid','u64']:
        for o in ['same','disjoint']:
            for n in [8,64,1024,16384]:
                c=f'{g}/concord_{k}_{o}/{n}'; t=f'{g}/crdts_{k}_{o}/{n}'
                cb=[med(c,r) for r in B]; ca=[med(c,r) for r in A]
                tb=[med(t,r) for r in B]; ta=[med(t,r) for r in A]
                rb=[ratio(x,y) for x,y in zip(tb,cb)]; ra=[ratio(x,y) for x,y in zip(ta,ca)]
                nsa=[v/n for v in ca if v]
                print(f'| {g.split("_merge")[0]} | {k} | {o} | {n} | {rng(cb)} | {rng(ca)} | {rng(tb+ta)} | {", ".join(rb)} | {", ".join(ra)} | {", ".join(f"{x:.2f}" for x in nsa)} |')
print('\n### small_union (GCounter, disjoint)\n')
print('| actors | n | concord before | concord after | sorted Vec | crdts | sorted Vec ÷ concord before | after |')
print('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for k in ['uuid','u64']:
    for n in [4,8,16,32,64]:
        c=f'small_union/concord_{k}/{n}'; s=f'small_union/sorted_vec_{k}/{n}'; t=f'small_union/crdts_{k}/{n}'
        cb=[med(c,r) for r in B]; ca=[med(c,r) for r in A]; sb=[med(s,r) for r in B]; sa=[med(s,r) for r in A]
        ts=[med(t,r) for r in B+A]
        print(f'| {k} | {n} | {rng(cb)} | {rng(ca)} | {rng(sb+sa)} | {rng(ts)} | {", ".join(ratio(x,y) for x,y in zip(sb,cb))} | {", ".join(ratio(x,y) for x,y in zip(sa,ca))} |')
print('\n### other groups (every bench id)\n')
print('| benchmark | ' + ' | '.join(runs) + ' |')
print('| --- |' + ' ---: |'*len(runs))
for g in ['lww_register_merge','set_merge','encode','decode']:
    for est in sorted(glob.glob(f'{root}/{g}/**/new/estimates.json', recursive=True)):
        path = os.path.relpath(os.path.dirname(os.path.dirname(est)), root)
        print(f'| {path} | ' + ' | '.join(fmt(med(path,r)) for r in runs) + ' |')
