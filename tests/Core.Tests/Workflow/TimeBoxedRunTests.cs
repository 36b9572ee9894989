using Approvals.Core.Actions;
using Approvals.Core.Actions.GroupAccess;
using Approvals.Core.Workflow;
using Microsoft.DurableTask;
using Moq;

namespace Approvals.Core.Tests.Workflow;

/// <summary>The generic time-boxed phase (<see cref="TimeBoxedRun"/>) of <see cref="ActionOrchestrator"/>, one test per
/// branch, on a mocked orchestration context: the grant recorded, the act, the hold, the undo, Indent's revoke.</summary>
public sealed class TimeBoxedRunTests
{
    const int Asked = 600;

    sealed class Harness
    {
        public OrchestratorHarness H { get; } = new();
        public Func<ActionOutcome> Act { get; set; } = () => new ActionOutcome("alice-oid added in group g-prod");
        public Func<bool> Prepare { get; set; } = () => true;
        /// <summary>The time-boxed steps, in order (the petition's steps left out).</summary>
        public List<(string Name, object? Input, TaskOptions? Options)> Steps => [.. H.Calls.Where(c => c.Name is nameof(PrepareActionActivity) or nameof(RunActionActivity) or nameof(UndoActionActivity))];

        public Harness()
        {
            H.Context.Setup(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n == nameof(PrepareActionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
                .Returns<TaskName, object?, TaskOptions?>((n, i, o) => H.Record(n, i, o, Prepare));
            H.Context.Setup(c => c.CallActivityAsync<ActionOutcome>(It.Is<TaskName>(n => n == nameof(RunActionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
                .Returns<TaskName, object?, TaskOptions?>((n, i, o) => H.Record(n, i, o, Act));
            H.Context.Setup(c => c.CallActivityAsync<bool>(It.Is<TaskName>(n => n == nameof(UndoActionActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
                .Returns<TaskName, object?, TaskOptions?>((n, i, o) => H.Record(n, i, o, () => true));
        }

        public int CallsTo(string name) => Steps.Count(s => s.Name == name);

        public IEnumerable<ClosePetitionInput> Closes => H.Calls.Where(c => c.Name == nameof(ClosePetitionActivity)).Select(c => (ClosePetitionInput)c.Input!);

        public DateTime GrantedAt { get; private set; }

        /// <summary>Starts an access approval on the generic orchestrator and grants it (approved by someone else).</summary>
        public Task<ApprovalResult> StartGranted(int? approvedSeconds = null)
        {
            GrantedAt = H.Now;
            H.Reads.Enqueue(() => new PetitionSnapshot("pet-1", "granted", "mary@acme.test", null, GrantedSeconds: approvedSeconds, GrantedAt: new DateTimeOffset(GrantedAt, TimeSpan.Zero)));
            var run = new ActionOrchestrator().RunAsync(H.Context.Object, Input());
            H.Webhook();
            return run;
        }

        /// <summary>The hold's end timer (due at the end of the time box).</summary>
        public (DateTime FireAt, TaskCompletionSource Source, CancellationToken Token) EndTimer => H.Timers.Single(t => t.FireAt == GrantedAt.AddSeconds(Asked));

        public bool WasActive => H.CustomStatuses.OfType<ApprovalProgressStatus>().Any(s => s.Status == ApprovalStatuses.Active);
    }

    static ApprovalInput Input() =>
        new(WorkflowLabels.AccessAction, "alice-oid", "to debug production", 3600, 2, 60, "hash", DateTimeOffset.UnixEpoch,
            RequestedBy: new Identity.Requester("alice-oid", "alice@acme.test", "Alice"),
            Access: new AccessRequest("production", "resource", "Production", "g-prod", Asked),
            Parameters: new ActionParameters(new Dictionary<string, string>
            {
                [GroupAccessAction.ResourceField] = "production",
                [GroupAccessAction.DurationField] = Asked.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [GroupAccessAction.GroupParameter] = "g-prod",
            }));

    [Fact]
    public async Task RunAsync_TimeBoxEnds_RecordedActedHeldUndone_GrantRevokedInIndent()
    {
        var t = new Harness();
        var run = t.StartGranted();
        Assert.True(t.WasActive, "access is active while held");
        Assert.False(run.IsCompleted);

        var end = t.EndTimer;
        t.H.Now = end.FireAt;
        end.Source.SetResult();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Contains("access ended: the granted time is over", result.Detail, StringComparison.Ordinal);
        Assert.Equal([nameof(PrepareActionActivity), nameof(RunActionActivity), nameof(UndoActionActivity)], t.Steps.Select(s => s.Name));
        var recorded = (TimeBoxedActionInput)t.Steps[0].Input!;
        Assert.Equal(new DateTimeOffset(t.GrantedAt.AddSeconds(Asked), TimeSpan.Zero), recorded.NotAfter);
        Assert.Null(t.Steps[1].Options); // the act's retries are the workflow's own, each after reading the petition again
        Assert.True(Assert.Single(t.Closes).RevokeGrant);
        Assert.Equal(t.GrantedAt.AddSeconds(Asked), result.Access!.ActiveUntil);
        Assert.Equal("Production", result.Access.ResourceName);
    }

    [Fact]
    public async Task RunAsync_ApproverGrantsLess_TimeBoxIsTheApprovers()
    {
        var t = new Harness();
        var run = t.StartGranted(approvedSeconds: 120);

        var until = t.GrantedAt.AddSeconds(120);
        var end = t.H.Timers.Single(x => x.FireAt == until);
        t.H.Now = until;
        end.Source.SetResult();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(new DateTimeOffset(until, TimeSpan.Zero), ((TimeBoxedActionInput)t.Steps[0].Input!).NotAfter);
        Assert.Equal(until, result.Access!.ActiveUntil);
    }

    [Fact]
    public async Task RunAsync_CancelWhileActive_Undone_GrantRevokedInIndent()
    {
        var t = new Harness();
        var run = t.StartGranted();

        t.H.CancelWait.SetResult(new CancelRequest("done debugging", "alice@acme.test"));
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Contains("ended early by alice@acme.test: done debugging", result.Detail, StringComparison.Ordinal);
        Assert.Equal(1, t.CallsTo(nameof(UndoActionActivity)));
        Assert.True(t.EndTimer.Token.IsCancellationRequested, "the end timer is cancelled");
        Assert.True(Assert.Single(t.Closes).RevokeGrant);
    }

    [Fact]
    public async Task RunAsync_RevokedInIndentWhileActive_Undone_NotRevokedAgain()
    {
        var t = new Harness();
        var run = t.StartGranted();

        t.H.Reads.Enqueue(() => OrchestratorHarness.Snapshot("revoked", "mary@acme.test"));
        t.H.Webhook("access/revoke");
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Contains("the grant was revoked in Indent", result.Detail, StringComparison.Ordinal);
        Assert.Equal(1, t.CallsTo(nameof(UndoActionActivity)));
        Assert.Empty(t.Closes);
    }

    [Fact]
    public async Task RunAsync_ActSaysNotLive_NoHold_UndoneAnyway()
    {
        var t = new Harness { Act = () => new ActionOutcome("alice-oid not-live in group g-prod", NotLive: true) };

        var result = await t.StartGranted();

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Contains("the granted time was over before the membership could be added", result.Detail, StringComparison.Ordinal);
        Assert.False(t.WasActive, "never active");
        Assert.DoesNotContain(t.H.Timers, x => x.FireAt == t.GrantedAt.AddSeconds(Asked));
        Assert.Equal(1, t.CallsTo(nameof(UndoActionActivity)));
    }

    [Fact]
    public async Task RunAsync_GrantCannotBeRecorded_NoAct_FailedAndRevoked()
    {
        var t = new Harness { Prepare = () => throw OrchestratorHarness.Failure(nameof(PrepareActionActivity), "ledger unavailable") };

        var result = await t.StartGranted();

        Assert.Equal(ApprovalStatuses.Failed, result.Status);
        Assert.Equal(0, t.CallsTo(nameof(RunActionActivity)));
        Assert.Equal(0, t.CallsTo(nameof(UndoActionActivity)));
        Assert.True(Assert.Single(t.Closes).RevokeGrant);
    }

    [Fact]
    public void Applies_OnlyToTimeBoxedActions()
    {
        Assert.True(TimeBoxedRun.Applies(Input()));
        Assert.False(TimeBoxedRun.Applies(Input() with { Action = "temporary-access-pass" }));
        Assert.False(TimeBoxedRun.Applies(Input() with { Action = "reset-password" }));
    }
}
