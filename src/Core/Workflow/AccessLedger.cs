using Approvals.Core.Actions;
using Microsoft.Extensions.Logging;

namespace Approvals.Core.Workflow;

/// <summary>One grant of time-boxed access as the ledger keeps it: who, which group, which approval, until when
/// (<see cref="NotAfter"/>: Indent's grant time plus the approved duration), and what the add did. <see cref="Adding"/>: an
/// add was begun and its outcome not yet recorded (it may have landed). <see cref="Added"/>: this approval put the member
/// in the group. <see cref="Standing"/>: they already were a member, by no grant of ours — nothing will be removed.
/// <see cref="Settled"/>: the grant has ended and the membership was dealt with (removed, or left as not ours).
/// <see cref="LateAdds"/>: adds that arrived after the grant had ended (a replayed or redelivered add) and did nothing.</summary>
public sealed record LedgerEntry(
    string ApprovalId,
    string GroupId,
    string MemberId,
    DateTimeOffset NotAfter,
    DateTimeOffset? EndedAt = null,
    bool Adding = false,
    bool Added = false,
    bool Standing = false,
    bool Settled = false,
    int LateAdds = 0,
    string? Version = null)
{
    /// <summary>Live: not ended, and not past its not-after. Only a live entry lets the add write to the group.</summary>
    public bool IsLive(DateTimeOffset now) => EndedAt is null && now < NotAfter;

    /// <summary>This grant may have put the member in the group, and that has not been undone yet.</summary>
    public bool MayOwn => !Settled && (Added || Adding);
}

/// <summary>Where the ledger lives: a table in the task hub's storage account (<see cref="TableAccessLedgerStore"/>:
/// Azure, and the local host on the Azure Storage engine), or a file in the data directory (the local host's in-memory
/// engine). Writes are conditional on <see cref="LedgerEntry.Version"/> (an ETag), so two writers never lose each other's
/// change.</summary>
public interface IAccessLedgerStore
{
    /// <summary>The entry of <paramref name="approvalId"/> for that membership; null when there is none.</summary>
    Task<LedgerEntry?> GetAsync(string groupId, string memberId, string approvalId, CancellationToken cancellationToken = default);

    /// <summary>Every entry of one membership (one person in one group), whatever its approval.</summary>
    Task<IReadOnlyList<LedgerEntry>> MembershipAsync(string groupId, string memberId, CancellationToken cancellationToken = default);

    /// <summary>Every entry not yet settled: what the reconciler looks at.</summary>
    Task<IReadOnlyList<LedgerEntry>> UnsettledAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes a new entry; false when one for that approval and membership already exists.</summary>
    Task<bool> TryInsertAsync(LedgerEntry entry, CancellationToken cancellationToken = default);

    /// <summary>Replaces <paramref name="entry"/> if it is unchanged since read (its <see cref="LedgerEntry.Version"/>);
    /// false when another writer changed it first.</summary>
    Task<bool> TryReplaceAsync(LedgerEntry entry, CancellationToken cancellationToken = default);
}

/// <summary>What the guarded add did.</summary>
public static class GrantOutcomes
{
    /// <summary>The member was put in the group by this approval.</summary>
    public const string Added = "added";

    /// <summary>They were already a member, not through a live grant of ours: theirs, never removed by us.</summary>
    public const string Standing = "standing";

    /// <summary>They were already a member through another live grant of ours: removed when the last grant ends.</summary>
    public const string Shared = "shared";

    /// <summary>The grant's ledger entry is not live (ended, past its not-after, or never recorded): nothing was written.</summary>
    public const string NotLive = "not-live";
}

/// <summary>The ledger of what time-boxed access granted, and the rules that follow from it (README, "Time-boxed access"):
/// the add writes to the group only while its entry is live; a membership is removed only when no live grant still
/// needs it, and only if one of our grants put it there. The workflow, the add activity and the reconciler all decide
/// through here, from the ledger and the group's own state, so a replayed, redelivered or late step does nothing wrong.</summary>
public sealed class AccessLedger(IAccessLedgerStore store, IGroupMembership groups, TimeProvider time, ILogger<AccessLedger> logger)
{
    const int MaxConflicts = 20;

    /// <summary>Records the intended membership before any add; an entry that exists (a replayed step) is kept as it is
    /// — an ended one is never made live again.</summary>
    public async Task<LedgerEntry> IntendAsync(string approvalId, string groupId, string memberId, DateTimeOffset notAfter, CancellationToken cancellationToken = default)
    {
        var entry = new LedgerEntry(approvalId, groupId, memberId, notAfter);
        if (await store.TryInsertAsync(entry, cancellationToken))
        {
            return entry;
        }

        return await store.GetAsync(groupId, memberId, approvalId, cancellationToken) ?? throw new InvalidOperationException($"The ledger entry of {approvalId} could neither be written nor read.");
    }

    /// <summary>The guarded add: writes to the group only while the approval's entry is live, recording first that an add
    /// is under way (so a crash after the write still counts as ours), then what it did. One of <see cref="GrantOutcomes"/>.
    /// Graph's "already a member" is ours (<see cref="GrantOutcomes.Added"/>) when an earlier attempt of this grant may have
    /// landed (the entry was still <see cref="LedgerEntry.Adding"/>: its answer was lost, or it crashed), or when Graph
    /// said, just before this attempt's write, that they were not a member (the group client retried a write whose answer
    /// was lost, and the retry found its own write); it is <see cref="GrantOutcomes.Standing"/> only when they were a member
    /// before we wrote. An attempt Graph refused every time with 429/503 (throttling or outage: nothing done, per
    /// https://learn.microsoft.com/en-us/graph/throttling; the group client retries a write only after those) clears
    /// <see cref="LedgerEntry.Adding"/> again, so a membership someone else gives meanwhile is never taken for ours.</summary>
    public async Task<string> AddAsync(string approvalId, string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var wasAdding = false;
        bool? wasMember = null;
        for (var attempt = 0; ; attempt++)
        {
            var entry = await store.GetAsync(groupId, memberId, approvalId, cancellationToken);
            if (entry is null)
            {
                logger.LogWarning("Access {ApprovalId}: no ledger entry for {Member} in {Group}; nothing added", approvalId, memberId, groupId);
                return GrantOutcomes.NotLive;
            }

            if (!entry.IsLive(time.GetUtcNow()))
            {
                if (await store.TryReplaceAsync(entry with { LateAdds = entry.LateAdds + 1 }, cancellationToken) || attempt >= MaxConflicts)
                {
                    logger.LogWarning("Access {ApprovalId}: add of {Member} to {Group} after the grant ended; nothing added", approvalId, memberId, groupId);
                    return GrantOutcomes.NotLive;
                }

                continue;
            }

            wasAdding = entry.Adding;
            if (wasAdding)
            {
                break; // an earlier attempt may have landed: whatever Graph says now, the membership may be ours
            }

            // Before our write: were they a member already? (Evidence for "standing"; a failed check fails the attempt
            // before anything was written.)
            wasMember ??= await groups.IsMemberAsync(groupId, memberId, cancellationToken);
            if (await store.TryReplaceAsync(entry with { Adding = true, Settled = false }, cancellationToken))
            {
                break;
            }

            Conflicted(attempt, approvalId);
        }

        bool added;
        try
        {
            added = await groups.AddMemberAsync(groupId, memberId, cancellationToken);
        }
        catch (Exception e) when ((!wasAdding && (e is PermanentActivityFailureException || e is HttpRequestException { StatusCode: System.Net.HttpStatusCode.TooManyRequests or System.Net.HttpStatusCode.ServiceUnavailable }))
            || GraphRefusedException.Of(e) is { IsReadOnlyGroup: true })
        {
            // Graph refused outright (a group it will not change, a permission the app lacks), or refused every try with
            // 429/503 (throttled or unavailable: the request was not processed): nothing was added by this attempt, and
            // no earlier one may have landed. A timeout, a reset or another 5xx keeps Adding: that write may have landed —
            // unless Graph now says the group is one it never changes (mail-enabled): then no earlier write landed either.
            // (A 403 proves nothing about an earlier attempt: it keeps Adding, and the removal is tried.)
            var entry = await store.GetAsync(groupId, memberId, approvalId, cancellationToken);
            if (entry is { Adding: true, Added: false })
            {
                await store.TryReplaceAsync(entry with { Adding = false }, cancellationToken);
            }

            throw;
        }

        for (var attempt = 0; ; attempt++)
        {
            var entry = await store.GetAsync(groupId, memberId, approvalId, cancellationToken) ?? throw new InvalidOperationException($"The ledger entry of {approvalId} disappeared during its add.");
            string outcome;
            LedgerEntry recorded;
            IReadOnlyList<LedgerEntry> others = added || entry.Added || wasAdding ? [] : await store.MembershipAsync(groupId, memberId, cancellationToken);
            var shared = others.Any(o => o.ApprovalId != approvalId && o.MayOwn);
            if (added || entry.Added || wasAdding || (!shared && wasMember == false))
            {
                // Ours, even if the grant ended meanwhile: then the settle below takes it back at once. "Already a member"
                // counts as ours when one of our writes may have made it (see the summary): never leave a membership we
                // may have made.
                outcome = GrantOutcomes.Added;
                recorded = entry with { Adding = false, Added = true, Standing = false, Settled = false };
            }
            else
            {
                outcome = shared ? GrantOutcomes.Shared : GrantOutcomes.Standing;
                recorded = entry with { Adding = false, Standing = !shared };
            }

            if (await store.TryReplaceAsync(recorded, cancellationToken))
            {
                logger.LogInformation("Access {ApprovalId}: {Member} {Outcome} in {Group}", approvalId, memberId, outcome, groupId);
                if (!recorded.IsLive(time.GetUtcNow()))
                {
                    await SettleAsync(groupId, memberId, cancellationToken);
                }

                return outcome;
            }

            Conflicted(attempt, approvalId);
        }
    }

    /// <summary>Ends the approval's grant in the ledger and settles the membership: removed when no live grant needs it
    /// and one of ours put it there. True when this call removed it.</summary>
    public async Task<bool> EndAsync(string approvalId, string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entry = await store.GetAsync(groupId, memberId, approvalId, cancellationToken);
            if (entry is null || entry.EndedAt is not null || await store.TryReplaceAsync(entry with { EndedAt = time.GetUtcNow() }, cancellationToken))
            {
                break;
            }

            Conflicted(attempt, approvalId);
        }

        return await SettleAsync(groupId, memberId, cancellationToken);
    }

    /// <summary>The entry of <paramref name="approvalId"/> for that membership; null when it has none (an add from before the
    /// ledger).</summary>
    public Task<LedgerEntry?> EntryAsync(string approvalId, string groupId, string memberId, CancellationToken cancellationToken = default) =>
        store.GetAsync(groupId, memberId, approvalId, cancellationToken);

    /// <summary>True when a live grant in the ledger still needs this membership (a removal by anyone else must wait).</summary>
    public async Task<bool> IsNeededAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        return (await store.MembershipAsync(groupId, memberId, cancellationToken)).Any(e => e.IsLive(now));
    }

    /// <summary>Settles one membership once none of its grants is live: removes the member if one of our grants may have
    /// put them there, and marks every ended entry settled. True when removed. The removal is never gated on a membership
    /// read (Entra's are eventually consistent: a lagging "not a member" right after the add would leave them in for good);
    /// the DELETE is idempotent (404: already out). A grant recorded while the removal was under way (its add may have found
    /// the member still there) is looked for once the removal is done, and given the membership back, as ours.</summary>
    public async Task<bool> SettleAsync(string groupId, string memberId, CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; ; attempt++)
        {
            var entries = await store.MembershipAsync(groupId, memberId, cancellationToken);
            var now = time.GetUtcNow();
            if (entries.Any(e => e.IsLive(now)))
            {
                return false; // another grant still needs it: the last one to end removes it
            }

            var open = entries.Where(e => !e.Settled).ToList();
            if (open.Count == 0)
            {
                return false;
            }

            var removed = false;
            if (open.Any(e => e.MayOwn))
            {
                try
                {
                    removed = await groups.RemoveMemberAsync(groupId, memberId, cancellationToken);
                    logger.LogInformation("Access to {Group} for {Member} ended: {Change}", groupId, memberId, removed ? "removed" : "already out");
                }
                catch (PermanentActivityFailureException e) when (GraphRefusedException.Of(e) is { IsReadOnlyGroup: true })
                {
                    // A group Graph never changes: nothing of ours can be in it (no add of ours landed), so nothing is ours to remove.
                    logger.LogWarning("Access to {Group} for {Member} ended: the group is read-only through Graph, so no membership of ours is in it", groupId, memberId);
                }

                // The ledger was read before the removal: a grant that became live since then may have been told "already a
                // member" (shared) by Graph and would never add it again. Any grant recorded after this read adds after the
                // removal, so it finds the member gone and adds them itself.
                var after = await store.MembershipAsync(groupId, memberId, cancellationToken);
                if (after.Where(e => e.IsLive(time.GetUtcNow())).OrderByDescending(e => e.NotAfter).FirstOrDefault() is { } live)
                {
                    logger.LogWarning("Access to {Group} for {Member}: grant {ApprovalId} became live while the membership was removed; adding it back", groupId, memberId, live.ApprovalId);
                    await AddAsync(live.ApprovalId, groupId, memberId, cancellationToken);
                    Conflicted(attempt, groupId + "/" + memberId);
                    continue; // decide again: the live grant now holds the membership, and the ended ones wait for it
                }
            }

            var conflict = false;
            foreach (var entry in open)
            {
                conflict |= !await store.TryReplaceAsync(entry with { Settled = true, Adding = false, EndedAt = entry.EndedAt ?? now }, cancellationToken);
            }

            if (!conflict)
            {
                return removed;
            }

            Conflicted(attempt, groupId + "/" + memberId); // an add or an end wrote meanwhile: decide again from what it wrote
        }
    }

    /// <summary>Ends every grant whose approval can no longer end it (<paramref name="isRunning"/> false: finished, failed,
    /// terminated or lost with an in-memory engine) and settles every membership none of whose grants is live. Returns
    /// how many memberships it removed.</summary>
    public async Task<int> ReconcileAsync(Func<string, CancellationToken, Task<bool>> isRunning, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isRunning);
        var removed = 0;
        var unsettled = await store.UnsettledAsync(cancellationToken);
        foreach (var membership in unsettled.GroupBy(e => (e.GroupId, e.MemberId)))
        {
            try
            {
                foreach (var entry in membership.Where(e => e.EndedAt is null && e.IsLive(time.GetUtcNow())))
                {
                    if (!await isRunning(entry.ApprovalId, cancellationToken))
                    {
                        logger.LogWarning("Access {ApprovalId}: its workflow is not running; the grant to {Member} in {Group} is ended here", entry.ApprovalId, entry.MemberId, entry.GroupId);
                        await EndAsync(entry.ApprovalId, entry.GroupId, entry.MemberId, cancellationToken);
                    }
                }

                if (await SettleAsync(membership.Key.GroupId, membership.Key.MemberId, cancellationToken))
                {
                    removed++;
                }
            }
            catch (Exception e) when (e is HttpRequestException or PermanentActivityFailureException or GraphRefusedException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // One membership Graph will not settle now must not stop the others; the next pass tries again.
                logger.LogWarning("Reconcile of {Member} in {Group} failed, tried again next pass: {Error}", membership.Key.MemberId, membership.Key.GroupId, e.Message);
            }
        }

        return removed;
    }

    static void Conflicted(int attempt, string what)
    {
        if (attempt >= MaxConflicts)
        {
            throw new InvalidOperationException($"The access ledger entry of {what} kept changing under this write ({MaxConflicts} conflicts).");
        }
    }
}
