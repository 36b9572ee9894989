using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Graph;
using Approvals.Local.Hosting;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Issue 27: access that cannot outlive its grant and never takes what it did not give. Every membership change is
/// counted from the local Graph's store (<c>groups.jsonl</c>, its own log with the time of each change), never from the
/// workflow's status; every wait is on an event, bounded.</summary>
public sealed class AccessLedgerTests(ITestOutputHelper output)
{
    const string Alice = "alice@local";
    const string AliceId = "alice";
    const string Group = FileGroups.ProductionGroup;

    static List<LocalMembershipChange> Changes(string dataDirectory) =>
        FileGroups.Log(dataDirectory).Where(c => c.Group == Group && c.Member == AliceId).ToList();

    /// <summary>Waits, bounded, until the group log holds <paramref name="count"/> changes for Alice.</summary>
    static async Task<List<LocalMembershipChange>> WaitForChangesAsync(string dataDirectory, int count, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        var changes = Changes(dataDirectory);
        while (changes.Count < count && DateTime.UtcNow < until)
        {
            await Task.Delay(50);
            changes = Changes(dataDirectory);
        }

        Assert.True(changes.Count >= count, $"{changes.Count} change(s) of {count} in the group log after {within}: {string.Join(", ", changes)}");
        return changes;
    }

    static IndentEvent Approve() => new() { EventType = IndentEventTypes.Approve };

    static DateTimeOffset GrantTime(TestHost host, string petition) =>
        host.Emulator.Get(petition).State!.EventHistory!.Last(e => e.EventType == IndentEventTypes.Grant).Timestamp!.Value;

    [Fact]
    public async Task OverlappingGrants_MembershipLastsUntilTheLaterEnds_RemovedOnce()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var first = await host.StartAccessAsync(3, "Production", alice);
        var second = await host.StartAccessAsync(8, "Production", alice);
        var firstPetition = (await host.WaitForPetitionAsync(first)).Petition!;
        var secondPetition = (await host.WaitForPetitionAsync(second)).Petition!;

        host.Emulator.Claim(firstPetition, Approve(), "bob@local");
        await host.WaitForStatusAsync(first, ApprovalStatuses.Active);
        host.Emulator.Claim(secondPetition, Approve(), "bob@local");
        await host.WaitForStatusAsync(second, ApprovalStatuses.Active);
        var firstDone = await host.WaitForAsync(first, v => ApprovalStatuses.IsFinal(v.Status));
        var memberAfterFirstEnded = host.Host.Services.GetRequiredService<FileGroups>().Members(Group).Contains(AliceId);
        var secondDone = await host.WaitForAsync(second, v => ApprovalStatuses.IsFinal(v.Status));
        var changes = await WaitForChangesAsync(host.DataDirectory, 2, TimeSpan.FromSeconds(5));

        Assert.Equal(ApprovalStatuses.Completed, firstDone.Status);
        Assert.Equal(ApprovalStatuses.Completed, secondDone.Status);
        Assert.True(memberAfterFirstEnded, "the first grant's end removed a membership the second still grants");
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        var secondUntil = new DateTimeOffset(secondDone.Access!.ActiveUntil!.Value, TimeSpan.Zero);
        output.WriteLine($"removed {(changes[1].At - secondUntil).TotalMilliseconds:F0} ms after the later grant's end");
        Assert.True(changes[1].At >= secondUntil.AddMilliseconds(-50), $"removed at {changes[1].At:O}, before the later grant ended at {secondUntil:O}");
        Assert.True(changes[1].At - secondUntil < TimeSpan.FromSeconds(3), $"removed {changes[1].At - secondUntil} after the later grant ended");
    }

    [Fact]
    public async Task StandingMember_JoinedWhileTheRequestWaited_Untouched()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(2, "Production", alice);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        Assert.True(host.Host.Services.GetRequiredService<FileGroups>().TryChange(Group, AliceId, FileGroups.Added)); // an admin adds her meanwhile

        host.Emulator.Claim(petition, Approve(), "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));
        var reconciler = host.Host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<ReconcilerService>().Single();
        var passes = reconciler.Passes;
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable); // and a reconcile after the end

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal([FileGroups.Added], Changes(host.DataDirectory).Select(c => c.Change)); // only the admin's add
        Assert.Contains(AliceId, host.Host.Services.GetRequiredService<FileGroups>().Members(Group));
        var entry = Assert.Single(FileAccessLedgerStore.Read(host.DataDirectory));
        Assert.True(entry.Standing && !entry.Added && entry.Settled, entry.ToString());
        Assert.True(passes >= 1);
    }

    [Fact]
    public async Task AddFailingUntilAfterARevoke_NeverLands()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        var graph = host.Host.Services.GetRequiredService<GraphEmulator>();
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(600, "Production", alice);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        graph.Faults.Set(new FaultSpec { Status = 503, Count = 10_000, PathContains = "/members/$ref", Method = "POST" });

        host.Emulator.Claim(petition, Approve(), "bob@local");
        for (var until = DateTime.UtcNow.AddSeconds(30); !graph.Requests.Any(r => r.Method == "POST" && r.Path.Contains("/members/$ref", StringComparison.Ordinal) && r.Status == 503); await Task.Delay(20))
        {
            Assert.True(DateTime.UtcNow < until, "the add was never tried");
        }

        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Revoke, Reason = "changed my mind" }, "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 60_000);
        graph.Faults.Clear(); // Graph would accept an add now: a late retry would land
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable);

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Empty(Changes(host.DataDirectory));
        Assert.Contains(graph.Requests, r => r.Method == "POST" && r.Path.Contains("/members/$ref", StringComparison.Ordinal));
        Assert.DoesNotContain(graph.Requests, r => r.Method == "POST" && r.Path.Contains("/members/$ref", StringComparison.Ordinal) && r.Status < 300);
        Assert.NotNull(Assert.Single(FileAccessLedgerStore.Read(host.DataDirectory)).EndedAt);
    }

    [Fact]
    public async Task RevokeWithItsWebhookLost_90sGrant_EndedWithinThePollBound()
    {
        // The production poll cap (300 s): the hold reads every min(cap, max(first poll, grant / 10)) = 9 s for 90 s.
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1", ["APPROVALS_POLL_MAX_SECONDS"] = "300" });
        var bound = AccessOrchestrator.HoldPollInterval(90, 1, 300);
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(90, "Production", alice);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        host.Emulator.Claim(petition, Approve(), "bob@local");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Active);
        await WaitForChangesAsync(host.DataDirectory, 1, TimeSpan.FromSeconds(10));

        host.Faults.Set(new FaultSpec { DropWebhooks = 10 });
        var revokedAt = DateTimeOffset.UtcNow;
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Revoke, Reason = "incident over" }, "bob@local");
        var changes = await WaitForChangesAsync(host.DataDirectory, 2, bound + TimeSpan.FromSeconds(10));
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        var after = changes[1].At - revokedAt;
        output.WriteLine($"poll bound {bound.TotalSeconds} s; removed {after.TotalSeconds:F2} s after the revoke (webhooks dropped: {10 - host.Faults.Current.DropWebhooks})");
        Assert.True(host.Faults.Current.DropWebhooks < 10, "no webhook was dropped");
        Assert.Equal(FileGroups.Removed, changes[1].Change);
        Assert.Contains("revoked in Indent", done.Detail, StringComparison.Ordinal);
        Assert.True(after <= bound + TimeSpan.FromSeconds(1.5), $"removed {after} after the revoke; the bound is {bound}");
    }

    [Fact]
    public async Task GrantedFor60s_ItsWebhookLost_EndsAtIndentsGrantTimePlus60s_AndIndentShowsTheEnd()
    {
        // Polls every 10 s while waiting: the grant is noticed up to 10 s late, and the time box must not move with it.
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "10", ["APPROVALS_POLL_MAX_SECONDS"] = "10" });
        var bound = AccessOrchestrator.HoldPollInterval(60, 10, 10);
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(60, "Production", alice);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Faults.Set(new FaultSpec { DropWebhooks = 10 });
        host.Emulator.Claim(petition, Approve(), "bob@local");
        var grantedAt = GrantTime(host, petition);
        var changes = await WaitForChangesAsync(host.DataDirectory, 2, TimeSpan.FromSeconds(60) + bound + TimeSpan.FromSeconds(10));
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        var noticed = changes[0].At - grantedAt;
        var ended = changes[1].At - grantedAt;
        output.WriteLine($"added {noticed.TotalSeconds:F2} s after Indent's grant, removed {ended.TotalSeconds:F2} s after it (poll bound {bound.TotalSeconds} s)");
        Assert.True(noticed > TimeSpan.FromSeconds(1), $"the grant was noticed {noticed} after it was made: the webhook was not lost");
        Assert.True(ended >= TimeSpan.FromSeconds(60) - TimeSpan.FromMilliseconds(50), $"removed {ended} after the grant, before its 60 s were over");
        Assert.True(ended <= TimeSpan.FromSeconds(60) + bound, $"removed {ended} after the grant; the bound is 60 s + {bound}");
        Assert.Equal(grantedAt.UtcDateTime, done.Access!.GrantedAt!.Value, TimeSpan.FromMilliseconds(1));
        Assert.Equal(IndentPhases.Revoked, host.Emulator.Get(petition).Phase); // Indent's audit shows the end
    }

    [Fact]
    public async Task InMemoryHost_StoppedDuringAccess_StartedAgain_RemovesTheMemberWithinTheReconcileBound()
    {
        var data = Path.Combine(Path.GetTempPath(), "approvals-tests", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { [AccessOptions.MinSecondsSetting] = "1", [ReconcileOptions.ScheduleSetting] = "*/2 * * * * *" };
        var first = await TestHost.StartAsync(settings, dataDirectory: data);
        string id;
        using (var alice = first.As(Alice))
        {
            id = await first.StartAccessAsync(3600, "Production", alice);
            var petition = (await first.WaitForPetitionAsync(id)).Petition!;
            first.Emulator.Claim(petition, Approve(), "bob@local");
            await first.WaitForStatusAsync(id, ApprovalStatuses.Active);
        }

        await first.Host.DisposeAsync(); // the in-memory engine's workflows go with it; the group and the ledger stay
        Assert.Equal([FileGroups.Added], Changes(data).Select(c => c.Change));

        var startedAt = DateTimeOffset.UtcNow;
        await using var second = await TestHost.StartAsync(settings, dataDirectory: data);
        var changes = await WaitForChangesAsync(data, 2, TimeSpan.FromSeconds(15));

        var after = changes[1].At - startedAt;
        output.WriteLine($"removed {after.TotalSeconds:F2} s after the restart began (reconcile interval 2 s)");
        Assert.Equal(FileGroups.Removed, changes[1].Change);
        Assert.True(after <= TimeSpan.FromSeconds(2) + TimeSpan.FromSeconds(5), $"removed {after} after the restart began");
        Assert.Null(await second.Durable.GetInstanceAsync(id)); // the workflow really was lost: the reconciler ended it
    }
}
