using System.Net;
using System.Net.Http.Json;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Time-boxed access on the action contract: <c>POST /api/access-requests</c> starts the generic
/// <see cref="ActionOrchestrator"/> (the access action, <c>GroupAccessAction</c>), its grants go through the same ledger
/// the reconciler settles, and an instance started on <see cref="AccessOrchestrator"/> before the move still completes.</summary>
public sealed class AccessOnActionContractTests
{
    const string Alice = "alice@local";
    const string AliceId = "alice";
    const string Group = FileGroups.ProductionGroup;

    static IndentEvent Approve() => new() { EventType = IndentEventTypes.Approve };

    static List<string> Changes(TestHost host) =>
        FileGroups.Log(host.DataDirectory).Where(c => c.Group == Group && c.Member == AliceId).Select(c => c.Change).ToList();

    [Fact]
    public async Task AccessRequest_RunsOnActionOrchestrator_LedgerEntryOfItsOwn_ReconcilerEndsItWhenTheWorkflowStops()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var id = await host.StartAccessAsync(3600, "Production", alice);
        host.Emulator.Claim((await host.WaitForPetitionAsync(id)).Petition!, Approve(), "bob@local");
        var active = await host.WaitForStatusAsync(id, ApprovalStatuses.Active);

        var instance = await host.Durable.GetInstanceAsync(id, getInputsAndOutputs: true);
        var entry = Assert.Single(FileAccessLedgerStore.Read(host.DataDirectory), e => e.ApprovalId == id);
        await host.Durable.TerminateInstanceAsync(id, "stopped by the test"); // a workflow that can no longer end its grant
        await host.Durable.WaitForInstanceCompletionAsync(id);
        await host.Host.Services.GetRequiredService<AccessReconciler>().RunOnceAsync(host.Durable);

        Assert.Equal(nameof(ActionOrchestrator), instance!.Name);
        Assert.Equal("access", active.Kind);
        Assert.True(Math.Abs((new DateTimeOffset(DateTime.SpecifyKind(active.Access!.ActiveUntil!.Value, DateTimeKind.Utc)) - entry.NotAfter).TotalSeconds) < 1, $"active until {active.Access.ActiveUntil:O}, recorded not-after {entry.NotAfter:O}");
        Assert.Equal(Group, entry.GroupId);
        Assert.NotNull(Assert.Single(FileAccessLedgerStore.Read(host.DataDirectory), e => e.ApprovalId == id).EndedAt);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], Changes(host));
    }

    [Fact]
    public async Task InstanceStartedOnAccessOrchestratorBeforeTheMove_StillCompletes_RemovedOnTime()
    {
        await using var host = await TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });
        using var alice = host.As(Alice);
        var template = await host.StartAccessAsync(3600, "Production", alice, idempotencyKey: "template");
        var input = (await host.Durable.GetInstanceAsync(template, getInputsAndOutputs: true))!.ReadInputAs<ApprovalInput>()!;
        await host.Durable.TerminateInstanceAsync(template, "only its input was wanted");
        var before = ApprovalIds.New(WorkflowLabels.AccessAction, "production");
        await host.Durable.ScheduleNewOrchestrationInstanceAsync(nameof(AccessOrchestrator), input with { Access = input.Access! with { DurationSeconds = 2 }, Parameters = null },
            new StartOrchestrationOptions(before) { Version = WorkflowVersions.Current });

        host.Emulator.Claim((await host.WaitForPetitionAsync(before)).Petition!, Approve(), "bob@local");
        var done = await host.WaitForAsync(before, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(nameof(AccessOrchestrator), (await host.Durable.GetInstanceAsync(before))!.Name);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Contains("the granted time is over", done.Detail, StringComparison.Ordinal);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], Changes(host));
    }

    [Fact]
    public async Task GenericActionRoute_DoesNotStartAccess_ItHasItsOwnRoute()
    {
        await using var host = await TestHost.StartAsync();
        using var alice = host.As(Alice);

        using var response = await alice.PostAsJsonAsync("api/actions/access", new { resource = "Production", reason = "to debug production", durationSeconds = 60 });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(host.Emulator.All());
    }
}
