using Approvals.Core.Workflow;
using Microsoft.DurableTask;
using static Approvals.Core.Tests.Workflow.OrchestratorHarness;

using Moq;

namespace Approvals.Core.Tests.Workflow;

/// <summary>One test per branch of the workflow, on a mocked orchestration context.</summary>
public sealed class ApprovalOrchestratorTests
{
    [Fact]
    public async Task RunAsync_WebhookThenApiSaysGranted_ResetsOnceAndCompletes()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.Webhook();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal("mary@acme.test", result.DecidedBy);
        Assert.Equal("pet-1", result.Petition);
        Assert.Equal(1, h.Resets);
        Assert.Equal(0, result.PollCount);
        Assert.Equal("https://kv.vault.azure.net/secrets/tmp-pw-x/1", result.Result!.CredentialReference);
        var timer = Assert.Single(h.Timers); // one timer per wait: the deadline is the poll's cap, not a timer of its own
        Assert.True(timer.Token.IsCancellationRequested, "the poll timer is cancelled once decided");
    }

    [Fact]
    public async Task RunAsync_PollFindsGrant_ResetsOnce()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("open"));
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.FirePoll();
        h.FirePoll();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(2, result.PollCount);
        Assert.Equal(1, h.Resets);
    }

    [Fact]
    public async Task RunAsync_Denied_NoActionAndDenied()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("closed", "mary@acme.test"));
        var run = h.Start();

        h.Webhook("access/deny");
        var result = await run;

        Assert.Equal(ApprovalStatuses.Denied, result.Status);
        Assert.Equal(0, h.Resets);
        Assert.Equal(0, h.CallsTo(nameof(ClosePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_RevokedBeforeAct_NoAction()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("revoked", "mary@acme.test"));
        var run = h.Start();

        h.Webhook("access/grant");
        var result = await run;

        Assert.Equal(ApprovalStatuses.Denied, result.Status);
        Assert.Contains("revoked", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, h.Resets);
    }

    [Fact]
    public async Task RunAsync_WebhookSaysGrantedButApiSaysOpen_DoesNotActAndKeepsWaiting()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("open"));
        var run = h.Start();

        h.Webhook("access/grant");

        Assert.False(run.IsCompleted);
        Assert.Equal(0, h.Resets);
        Assert.Equal(2, h.DecisionWaits.Count);
        Assert.Equal(ApprovalStatuses.AwaitingApproval, ((ApprovalProgressStatus)h.CustomStatuses[^1]!).Status);

        h.FireDeadline();
        var result = await run;
        Assert.Equal(ApprovalStatuses.Expired, result.Status);
        Assert.Equal(0, h.Resets);
    }

    [Fact]
    public async Task RunAsync_DeadlinePassesUndecided_ExpiresAndClosesPetition()
    {
        var h = new OrchestratorHarness();
        var run = h.Start(Input(deadlineSeconds: 5));

        h.FirePoll();                                  // at 2 s; the next would be at 6 s, past the deadline
        Assert.Equal(new DateTime(2026, 11, 28, 9, 0, 5, DateTimeKind.Utc), h.CurrentPoll.FireAt);
        h.FirePoll();                                  // the last poll, due at the deadline
        var result = await run;

        Assert.Equal(ApprovalStatuses.Expired, result.Status);
        Assert.Equal(2, h.Timers.Count);
        Assert.Equal(2, h.PetitionReads);              // the deadline's poll still reads once: a grant just in time is used
        Assert.Equal(1, h.CallsTo(nameof(ClosePetitionActivity)));
        Assert.Equal(0, h.Resets);
    }

    [Fact]
    public async Task RunAsync_GrantedJustAtDeadline_StillActs()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.FireDeadline();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(0, h.CallsTo(nameof(ClosePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_Cancelled_ClosesPetitionAndNeverActs()
    {
        var h = new OrchestratorHarness();
        var run = h.Start();

        h.CancelWait.SetResult(new CancelRequest("wrong user"));
        var result = await run;

        Assert.Equal(ApprovalStatuses.Cancelled, result.Status);
        Assert.Equal("wrong user", result.Detail);
        Assert.Equal(1, h.CallsTo(nameof(ClosePetitionActivity)));
        Assert.Equal(0, h.Resets);
        Assert.Equal(0, h.PetitionReads);
    }

    [Fact]
    public async Task RunAsync_IndentUnreachableDuringPoll_KeepsWaitingThenActsOnGrant()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => throw Failure(nameof(GetPetitionActivity)));
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.FirePoll();
        Assert.False(run.IsCompleted);
        h.FirePoll();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(1, h.Resets);
        // Every Indent call goes through the retry policy for transient failures; the grant read by a poll is used by
        // that same read-and-act call (its reset failures are returned, not retried by the policy), no second activity.
        Assert.All(h.Calls, c => Assert.Same(ApprovalOrchestrator.IndentRetry, c.Options));
        Assert.Equal(0, h.CallsTo(nameof(ResetPasswordActivity)));
    }

    [Fact]
    public async Task RunAsync_CreatePetitionFailsAfterRetries_FailsWithoutAction()
    {
        var h = new OrchestratorHarness { CreatePetition = () => throw Failure(nameof(CreatePetitionActivity), "HTTP 503") };

        var result = await h.Start();

        Assert.Equal(ApprovalStatuses.Failed, result.Status);
        Assert.Contains("petition", result.Detail, StringComparison.Ordinal);
        Assert.Empty(h.Timers);
        Assert.Equal(0, h.Resets);
    }

    [Fact]
    public async Task RunAsync_ResetFails_ReportsFailed()
    {
        var h = new OrchestratorHarness { ResetPassword = () => throw Failure(nameof(ResetPasswordActivity), "Graph 500") };
        for (var i = 0; i < ApprovalOrchestrator.ActionAttempts; i++)
        {
            h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        }

        var run = h.Start();

        h.Webhook();
        for (var i = 0; i < 10 && !run.IsCompleted; i++)
        {
            h.FirePoll(); // the retry back-off timers
        }

        var result = await run;

        Assert.Equal(ApprovalStatuses.Failed, result.Status);
        Assert.Null(result.Result);
        Assert.Equal(ApprovalOrchestrator.ActionAttempts, h.Resets);
    }

    [Fact]
    public async Task RunAsync_RevokedWhileTheActionIsRetried_EndsDenied_NoFurtherAttempt()
    {
        var h = new OrchestratorHarness { ResetPassword = () => throw Failure(nameof(ResetPasswordActivity), "Graph 503") };
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        h.Reads.Enqueue(() => Snapshot("revoked", "mary@acme.test"));
        var run = h.Start();

        h.Webhook();
        h.FirePoll(); // the first retry's back-off: it re-reads the petition before writing
        var result = await run;

        Assert.Equal(ApprovalStatuses.Denied, result.Status);
        Assert.Equal(1, h.Resets);
        Assert.Contains("revoked", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CancelArrivedBeforeTheHintWasRead_CancelWins_ReadsWithoutActing()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.CancelWait.SetResult(new CancelRequest("wrong user"));
        var result = await run;

        Assert.Equal(ApprovalStatuses.Cancelled, result.Status);
        Assert.Equal(0, h.Resets);
        Assert.Equal(0, h.CallsTo(nameof(VerifyAndResetActivity)));
    }

    [Fact]
    public async Task RunAsync_CancelArrivedWhileReadAndActInFlight_TheActionStands_Completed()
    {
        // The read and the action are one activity: a cancel that arrives while it runs is too late, and the outcome
        // says what happened (completed, one reset) rather than claiming a cancel.
        var h = new OrchestratorHarness();
        var inFlight = new TaskCompletionSource<VerifiedReset>();
        h.Context.Setup(c => c.CallActivityAsync<VerifiedReset>(It.Is<TaskName>(n => n == nameof(VerifyAndResetActivity)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Returns(inFlight.Task);
        var run = h.Start();

        h.Webhook();
        h.CancelWait.SetResult(new CancelRequest("wrong user"));
        inFlight.SetResult(new VerifiedReset(Snapshot("granted", "mary@acme.test"), h.ResetPassword()));
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.NotNull(result.Result);
        Assert.Equal(0, h.CallsTo(nameof(ResetPasswordActivity)));
    }

    [Fact]
    public async Task RunAsync_ResetFailsWithinTheRead_RetriedByItselfAfterReReading_Completed()
    {
        var attempts = 0;
        var h = new OrchestratorHarness();
        var ok = h.ResetPassword;
        h.ResetPassword = () => ++attempts == 1 ? throw Failure(nameof(ResetPasswordActivity), "Graph 503") : ok();
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.Webhook();
        h.FirePoll(); // the retry's back-off, then a fresh read, then the reset on its own
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(2, h.Resets);
        Assert.Equal(1, h.CallsTo(nameof(ResetPasswordActivity)));
        Assert.Equal(1, h.CallsTo(nameof(GetPetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_SelfApprovedGrantRead_NeverActsInTheRead_DeniedAndRevoked()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("granted", "alice@acme.test"));
        var run = h.Start(OrchestratorHarness.Input() with { RequestedBy = new Identity.Requester("alice-oid", "alice@acme.test", "Alice") });

        h.Webhook();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Denied, result.Status);
        Assert.Equal(0, h.Resets);
        Assert.Equal(1, h.CallsTo(nameof(ClosePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_StartedBeforeRequesterAndTargetWereRecorded_GrantRefused_NoReset()
    {
        // An instance of a build that recorded neither (its input has no RequestedBy, no Target), decided after an upgrade.
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start(OrchestratorHarness.Input() with { RequestedBy = null, Target = null });

        h.Webhook();
        var result = await run;

        Assert.Equal(ApprovalStatuses.Denied, result.Status);
        Assert.Contains("four eyes", result.Detail, StringComparison.Ordinal);
        Assert.Equal(0, h.Resets);
        Assert.True(((ClosePetitionInput)h.Calls.Single(c => c.Name == nameof(ClosePetitionActivity)).Input!).RevokeGrant);
    }

    [Fact]
    public async Task RunAsync_PollBacksOffFromInitialToCap_AndReusesOneWebhookWait()
    {
        var h = new OrchestratorHarness();
        var run = h.Start(Input(deadlineSeconds: 3600, pollInitial: 2, pollMax: 30));
        var gaps = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            gaps.Add((h.CurrentPoll.FireAt - h.Now).TotalSeconds);
            h.FirePoll();
        }

        Assert.Equal([2, 4, 8, 16, 30, 30], gaps);
        Assert.Single(h.DecisionWaits);
        Assert.False(run.IsCompleted);
        var status = (ApprovalProgressStatus)h.CustomStatuses[^1]!;
        Assert.Equal(6, status.PollCount);
        Assert.Equal(h.CurrentPoll.FireAt, status.NextPollAt);
        Assert.Equal("pet-1", status.Petition);
        Assert.Equal(2 + 4 + 8 + 16 + 30 + 30, status.ElapsedSeconds);
    }

    [Fact]
    public async Task RunAsync_LongWait_ContinuesAsNewKeepingPetitionAndClock()
    {
        var h = new OrchestratorHarness();
        var run = h.Start(Input(deadlineSeconds: 604_800, pollInitial: 1, pollMax: 1));
        for (var i = 0; i < ApprovalOrchestrator.MaxWaitsPerExecution; i++)
        {
            h.FirePoll();
        }

        await run;

        var continued = Assert.IsType<ApprovalInput>(h.ContinuedWith);
        Assert.Equal("pet-1", continued.Continued!.PetitionName);
        Assert.Equal(new DateTime(2026, 11, 28, 9, 0, 0, DateTimeKind.Utc), continued.Continued.StartedAt);
        Assert.Equal(ApprovalOrchestrator.MaxWaitsPerExecution, continued.Continued.PollCount);

        // The next execution does not create a second petition and keeps the original deadline: started just before
        // it, its first poll is capped by it.
        var deadline = new DateTime(2026, 11, 28, 9, 0, 0, DateTimeKind.Utc).AddSeconds(604_800);
        var next = new OrchestratorHarness { Now = deadline.AddSeconds(-0.5) };
        var nextRun = next.Start(continued);
        Assert.Equal(0, next.CallsTo(nameof(CreatePetitionActivity)));
        Assert.Equal(deadline, next.CurrentPoll.FireAt);
        next.CancelWait.SetResult(new CancelRequest(null));
        Assert.Equal(ApprovalStatuses.Cancelled, (await nextRun).Status);
    }

    [Fact]
    public async Task RunAsync_RepeatedWebhooksWhileOpen_EachVerifiedOneActionOnGrant()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("open"));
        h.Reads.Enqueue(() => Snapshot("open"));
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();

        h.Webhook("access/approve");
        h.Now += ApprovalOrchestrator.HintSpacing;
        h.Webhook("access/grant");
        h.Now += ApprovalOrchestrator.HintSpacing;
        h.Webhook("access/grant");
        var result = await run;

        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(3, h.PetitionReads);
        Assert.Equal(1, h.Resets);
        Assert.Equal(0, result.PollCount);
    }

    [Fact]
    public async Task RunAsync_BurstOfWebhooks_OneReadNow_OneAtTheEndOfTheSpacing_NotOneEach()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot("open"));
        h.Reads.Enqueue(() => Snapshot("granted", "mary@acme.test"));
        var run = h.Start();
        var pollsBefore = h.Timers.Count;

        h.Webhook("access/grant");
        for (var i = 0; i < 50; i++)
        {
            h.Webhook("access/grant"); // the same instant: duplicates, retries, or a flood
        }

        var readsDuringBurst = h.PetitionReads;
        var timersForTheBurst = h.Timers.Count - pollsBefore;
        Assert.False(run.IsCompleted);
        Assert.Equal(h.Now + ApprovalOrchestrator.HintSpacing, h.CurrentPoll.FireAt);
        h.FirePoll();
        var result = await run;

        Assert.Equal(1, readsDuringBurst);
        Assert.Equal(1, timersForTheBurst); // one deferred read, not a timer per hint
        Assert.Equal(ApprovalStatuses.Completed, result.Status);
        Assert.Equal(2, h.PetitionReads);
        Assert.Equal(0, result.PollCount); // the deferred read is not a step of the poll backoff
        Assert.Equal(1, h.Resets);
    }

    [Theory]
    [InlineData("System.Net.Http.HttpRequestException", false)] // two loaded assemblies define it: IsCausedBy would throw
    [InlineData("Approvals.Core.Indent.IndentApiException", false)]
    [InlineData("Approvals.Core.Workflow.PermanentActivityFailureException", true)]
    public void IsPermanent_ByTypeName_NeverThrows(string errorType, bool permanent) =>
        Assert.Equal(permanent, ApprovalOrchestrator.IsPermanent(new TaskFailureDetails(errorType, "x", null, null, null)));
}
