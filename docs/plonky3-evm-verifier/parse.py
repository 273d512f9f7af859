import sys
b=open('/tmp/p3trace/proof.bin','rb').read()
pos=0
def varint():
    global pos
    r=0;s=0
    while True:
        x=b[pos];pos+=1
        r|=(x&0x7f)<<s;s+=7
        if x<0x80: return r
def raw(n):
    global pos
    r=b[pos:pos+n];pos+=n;return r
P=0x7f000001
RINV=pow(2**32,-1,P)
def F():
    m=int.from_bytes(raw(4),'little'); assert m<P; return m*RINV%P
def EF(): return [F() for _ in range(8)]
def vec(f):
    n=varint(); return [f() for _ in range(n)]
def opt(f):
    t=raw(1)[0]; assert t in (0,1); return f() if t else None
def cap(): return vec(lambda: raw(32))
def pruned(): return vec(lambda: raw(32))
out={}
out['trace_cap']=cap(); out['quot_cap']=cap(); out['random']=opt(cap)
out['trace_local']=vec(EF); out['trace_next']=opt(lambda: vec(EF))
out['pre_local']=opt(lambda: vec(EF)); out['pre_next']=opt(lambda: vec(EF))
out['quotient_chunks']=vec(lambda: vec(EF)); out['random_ov']=opt(lambda: vec(EF))
o1=pos
out['batch_pow']=F()
out['commit_phase_commits']=vec(cap)
out['commit_pow']=vec(F)
out['input_openings']=vec(lambda: (vec(lambda: vec(lambda: vec(F))), pruned()))
out['commit_phase_openings']=vec(lambda: (vec(lambda: vec(EF)), pruned()))
out['final_poly']=vec(EF)
out['query_pow']=F()
out['degree_bits']=varint()
out['ood_pow']=F()
print('consumed',pos,'of',len(b))
print('opened values end at',o1)
print('caps',[len(x) for x in (out['trace_cap'],out['quot_cap'])],'random',out['random'])
print('trace_local',len(out['trace_local']),'next',len(out['trace_next']),'pre',out['pre_local'],out['pre_next'],'qc',[len(c) for c in out['quotient_chunks']])
print('batch_pow',out['batch_pow'],'cpc',len(out['commit_phase_commits']),'commit_pow',out['commit_pow'])
for i,(ov,pr) in enumerate(out['input_openings']): print('input',i,'queries',len(ov),'mats',[len(m) for m in ov[0]],'siblings',len(pr))
for i,(sv,pr) in enumerate(out['commit_phase_openings']): print('round',i,'queries',len(sv),'sibvals',len(sv[0]),'siblings',len(pr))
print('final',len(out['final_poly']),'qpow',out['query_pow'],'degree_bits',out['degree_bits'],'ood',out['ood_pow'])
