using Approvals.Core.Identity;
using Approvals.Core.People;
using Approvals.Core.Step;
using Approvals.Core.Workflow;
using Microsoft.DurableTask;
using Moq;
using static Approvals.Core.Tests.Workflow.OrchestratorHarness;

namespace Approvals.Core.Tests.Workflow;

/// <summary>The approval step, one test per outcome, on the mocked orchestration context <see cref="ApprovalRun"/>'s
/// tests use: it acts on nothing and maps the run's end to a grant or a typed refusal.</summary>
public sealed class ApprovalStepOrchestratorTests
{
    static readonly Requester Helpdesk = new("helpdesk-oid", "helpdesk@acme.test", "Helpdesk");

    static ApprovalRequest Request(TimeSpan? deadline = null, TimeSpan? duration = null) =>
        new("rotate the storage key", new ApprovalResource("secret", "storage-key:prod", "Production storage key"), Helpdesk, deadline ?? TimeSpan.FromHours(1))
        {
            Duration = duration,
        };

    static PetitionSnapshot GrantedBy(string personId, int? seconds = null) =>
        new("pet-1", "granted", "mary@acme.test", null, ApprovedBy: "mary@acme.test", GrantedSeconds: seconds, GrantedAt: new DateTimeOffset(2026, 11, 28, 9, 0, 5, TimeSpan.Zero), Approver: new ApproverCheck("mary@acme.test", [personId]));

    static Task<ApprovalStepResult> Start(OrchestratorHarness h, ApprovalRequest? request = null) =>
        new ApprovalStepOrchestrator().RunAsync(h.Context.Object, ApprovalStep.CreateInput(h.Context.Object, request ?? Request()));

    [Fact]
    public async Task RunAsync_GrantedByAnotherPerson_ReturnsTheVerifiedGrant_ClosesNothing()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => GrantedBy("mary-oid", seconds: 3600));
        var run = Start(h);

        h.Webhook();
        var result = await run;

        Assert.True(result.IsGranted);
        Assert.Null(result.Refusal);
        Assert.Equal("mary-oid", result.Grant!.ApproverId);
        Assert.Equal("mary@acme.test", result.Grant.Approver);
        Assert.Equal(TimeSpan.FromHours(1), result.Grant.Duration);
        Assert.Equal("pet-1", result.Grant.Petition);
        Assert.Equal(0, h.CallsTo(nameof(ClosePetitionActivity)));
        Assert.Equal(1, h.PetitionReads);
    }

    [Fact]
    public async Task RunAsync_GrantedWithoutARecordedDuration_DurationIsNull_NotTheOneAskedFor()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => GrantedBy("mary-oid"));
        var run = Start(h, Request(duration: TimeSpan.FromMinutes(30)));

        h.FirePoll();
        var result = await run;

        Assert.True(result.IsGranted);
        Assert.Null(result.Grant!.Duration); // Indent recorded none: no expiry, whatever was asked
        var create = (CreatePetitionInput)h.Calls.Single(c => c.Name == nameof(CreatePetitionActivity)).Input!;
        Assert.Equal(1800, create.DurationSeconds);
        Assert.Equal("storage-key:prod", create.Resource!.ResourceId);
        Assert.Equal(Helpdesk, create.RequestedBy);
    }

    [Fact]
    public async Task RunAsync_ApprovedByTheRequester_DeniedByFourEyes_GrantRevoked()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => GrantedBy(Helpdesk.Id));
        var run = Start(h);

        h.Webhook();
        var result = await run;

        Assert.False(result.IsGranted);
        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);
        Assert.Contains("four eyes: approved by the requester", result.Refusal.Detail, StringComparison.Ordinal);
        var close = (ClosePetitionInput)h.Calls.Single(c => c.Name == nameof(ClosePetitionActivity)).Input!;
        Assert.True(close.RevokeGrant);
    }

    [Theory]
    [InlineData("closed", ApprovalRefusalReason.Denied)]
    [InlineData("revoked", ApprovalRefusalReason.Revoked)]
    [InlineData("deleted", ApprovalRefusalReason.Denied)]
    public async Task RunAsync_PetitionRefused_TypedRefusal(string phase, ApprovalRefusalReason expected)
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => Snapshot(phase, "mary@acme.test"));
        var run = Start(h);

        h.Webhook("access/deny");
        var result = await run;

        Assert.Equal(expected, result.Refusal!.Reason);
        Assert.Equal("mary@acme.test", result.Refusal.DecidedBy);
        Assert.Equal(h.Context.Object.InstanceId, result.Refusal.InstanceId);
    }

    [Fact]
    public async Task RunAsync_Cancelled_ClosesThePetition_Cancelled()
    {
        var h = new OrchestratorHarness();
        var run = Start(h);

        h.CancelWait.SetResult(new CancelRequest("not needed any more"));
        var result = await run;

        Assert.Equal(ApprovalRefusalReason.Cancelled, result.Refusal!.Reason);
        Assert.Equal(1, h.CallsTo(nameof(ClosePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_NoDecisionBeforeTheDeadline_Expired()
    {
        var h = new OrchestratorHarness();
        var run = Start(h, Request(deadline: TimeSpan.FromSeconds(10)));

        for (var i = 0; i < 20 && !run.IsCompleted; i++)
        {
            h.FirePoll();
        }

        var result = await run;
        Assert.Equal(ApprovalRefusalReason.Expired, result.Refusal!.Reason);
        Assert.Equal(1, h.CallsTo(nameof(ClosePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_PetitionNotCreated_Failed()
    {
        var h = new OrchestratorHarness { CreatePetition = () => throw Failure(nameof(CreatePetitionActivity), "Indent API POST failed with HTTP 403") };

        var result = await Start(h);

        Assert.Equal(ApprovalRefusalReason.Failed, result.Refusal!.Reason);
        Assert.Contains("403", result.Refusal.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateInput_TakesTheOrchestrationsClock_AndTheResource()
    {
        var h = new OrchestratorHarness();

        var input = ApprovalStep.CreateInput(h.Context.Object, Request());

        Assert.Equal(new DateTimeOffset(h.Now, TimeSpan.Zero), input.RequestedAt);
        Assert.Equal("storage-key:prod", input.ResourceId);
        Assert.Equal(3600, input.DeadlineSeconds);
        Assert.Equal(ApprovalStep.Action, input.Action);
    }

    public static TheoryData<ApprovalRequest, string> BadRequests => new()
    {
        { Request() with { Reason = " " }, "Reason" },
        { Request() with { Resource = new ApprovalResource("", "x") }, "Resource" },
        { Request() with { Requester = new Requester("", "a@b", null) }, "Requester" },
        { Request(deadline: TimeSpan.FromSeconds(1)), "Deadline" },
        { Request(deadline: TimeSpan.FromDays(40)), "Deadline" },
        { Request(duration: TimeSpan.Zero), "Duration" },
        { Request() with { PollInitial = TimeSpan.FromMinutes(10), PollMax = TimeSpan.FromMinutes(1) }, "PollInitial" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void CreateInput_BadRequest_ThrowsNamingTheField(ApprovalRequest request, string field)
    {
        var h = new OrchestratorHarness();

        var e = Assert.Throws<ArgumentException>(() => ApprovalStep.CreateInput(h.Context.Object, request));

        Assert.Equal(field, e.ParamName);
        Assert.Empty(h.Calls);
    }

    [Fact]
    public async Task RunAsync_RequesterNamedByAddress_ResolvedToTheirObjectId_FourEyesComparesIt()
    {
        var h = new OrchestratorHarness { ResolveRequester = _ => new RequesterResolution(new Requester("carol-oid", "carol.chen@acme.test", "Carol Chen"), null) };
        h.Reads.Enqueue(() => GrantedBy("carol-oid"));
        var run = Start(h, Request() with { Requester = new Requester("carol@acme.test", "carol@acme.test", "Carol") });

        h.Webhook();
        var result = await run;

        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);
        Assert.Contains("four eyes: approved by the requester", result.Refusal.Detail, StringComparison.Ordinal);
        var asked = (Requester)h.Calls.First().Input!;
        Assert.Equal(nameof(ResolveRequesterActivity), h.Calls.First().Name);
        Assert.Equal("carol@acme.test", asked.Id);
        var create = (CreatePetitionInput)h.Calls.Single(c => c.Name == nameof(CreatePetitionActivity)).Input!;
        Assert.Equal("carol-oid", create.RequestedBy!.Id);
        Assert.Equal("carol-oid", create.UserId);
    }

    [Fact]
    public async Task RunAsync_RequesterNotOneEnabledPerson_Failed_NoPetition()
    {
        var h = new OrchestratorHarness { ResolveRequester = _ => RequesterResolution.Refused("the requester (ghost@acme.test) is not a person of the directory") };

        var result = await Start(h);

        Assert.False(result.IsGranted);
        Assert.Equal(ApprovalRefusalReason.Failed, result.Refusal!.Reason);
        Assert.Contains("not a person of the directory", result.Refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(0, h.CallsTo(nameof(CreatePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_DirectoryUnreachable_Failed_NoPetition()
    {
        var h = new OrchestratorHarness { ResolveRequester = _ => throw Failure(nameof(ResolveRequesterActivity), "Graph GET failed with HTTP 503") };

        var result = await Start(h);

        Assert.Equal(ApprovalRefusalReason.Failed, result.Refusal!.Reason);
        Assert.Contains("could not be looked up", result.Refusal.Detail, StringComparison.Ordinal);
        Assert.Equal(0, h.CallsTo(nameof(CreatePetitionActivity)));
    }

    [Fact]
    public async Task RunAsync_Continued_DoesNotResolveAgain()
    {
        var h = new OrchestratorHarness();
        h.Reads.Enqueue(() => GrantedBy("mary-oid"));
        var input = ApprovalStep.CreateInput(h.Context.Object, Request()) with { Continued = new ApprovalContinuation("pet-1", h.Now, 3, 8) };
        var run = new ApprovalStepOrchestrator().RunAsync(h.Context.Object, input);

        h.Webhook();
        var result = await run;

        Assert.True(result.IsGranted);
        Assert.Equal(0, h.CallsTo(nameof(ResolveRequesterActivity)));
        Assert.Equal(0, h.CallsTo(nameof(CreatePetitionActivity)));
    }

    static OrchestratorHarness SubOrchestration(Func<ApprovalStepResult> answer, Action<string?>? id = null)
    {
        var h = new OrchestratorHarness();
        h.Context.Setup(c => c.NewGuid()).Returns(new Guid("0123456789abcdef0123456789abcdef"));
        h.Context.Setup(c => c.CallSubOrchestratorAsync<ApprovalStepResult>(It.Is<TaskName>(n => n == nameof(ApprovalStepOrchestrator)), It.IsAny<object?>(), It.IsAny<TaskOptions?>()))
            .Callback<TaskName, object?, TaskOptions?>((_, _, options) => id?.Invoke((options as SubOrchestrationOptions)?.InstanceId))
            .Returns(() =>
            {
                try
                {
                    return Task.FromResult(answer());
                }
                catch (TaskFailedException e)
                {
                    return Task.FromException<ApprovalStepResult>(e);
                }
            });
        return h;
    }

    static readonly ApprovalGrant Grant = new("approval-step-0123456789abcdef-0123456789abcdef", "pet-1", "mary@acme.test", "mary-oid", null, null);

    [Fact]
    public async Task RequestApprovalAsync_CallsTheStepAsASubOrchestration_UnderAnIdTheWebhookCanFind_ReturnsTheGrant()
    {
        string? id = null;
        var h = SubOrchestration(() => new ApprovalStepResult(Grant, null), i => id = i);

        var grant = await h.Context.Object.RequestApprovalAsync(Request());

        Assert.Equal("approval-step-0123456789abcdef-0123456789abcdef", id);
        Assert.True(ApprovalIds.IsValid(id));
        Assert.Same(Grant, grant);
    }

    [Theory]
    [InlineData(ApprovalRefusalReason.Denied)]
    [InlineData(ApprovalRefusalReason.Revoked)]
    [InlineData(ApprovalRefusalReason.Expired)]
    [InlineData(ApprovalRefusalReason.Cancelled)]
    [InlineData(ApprovalRefusalReason.Failed)]
    public async Task RequestApprovalAsync_Refused_ThrowsTheTypedReason(ApprovalRefusalReason reason)
    {
        var refusal = new ApprovalRefusal("approval-step-0123456789abcdef-0123456789abcdef", reason, "petition closed", "bob@acme.test", "pet-1");
        var h = SubOrchestration(() => new ApprovalStepResult(null, refusal));

        var e = await Assert.ThrowsAsync<ApprovalRefusedException>(() => h.Context.Object.RequestApprovalAsync(Request()));

        Assert.Equal(reason, e.Reason);
        Assert.Same(refusal, e.Refusal);
        Assert.Contains(reason.ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains("petition closed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestApprovalAsync_NeitherGrantNorRefusal_ThrowsFailed()
    {
        var h = SubOrchestration(() => new ApprovalStepResult(null, null));

        var e = await Assert.ThrowsAsync<ApprovalRefusedException>(() => h.Context.Object.RequestApprovalAsync(Request()));

        Assert.Equal(ApprovalRefusalReason.Failed, e.Reason);
    }

    [Fact]
    public async Task RequestApprovalAsync_TheStepFailedAsAnOrchestration_ThrowsFailed_TryReturnsIt()
    {
        var h = SubOrchestration(() => throw Failure(nameof(ApprovalStepOrchestrator), "activity ResolveRequesterActivity is not registered"));

        var e = await Assert.ThrowsAsync<ApprovalRefusedException>(() => h.Context.Object.RequestApprovalAsync(Request()));
        var tried = await h.Context.Object.TryRequestApprovalAsync(Request());

        Assert.Equal(ApprovalRefusalReason.Failed, e.Reason);
        Assert.Contains("not registered", e.Detail, StringComparison.Ordinal);
        Assert.False(tried.IsGranted);
        Assert.Equal(ApprovalRefusalReason.Failed, tried.Refusal!.Reason);
    }

    [Fact]
    public async Task TryRequestApprovalAsync_Refused_ReturnsTheRefusal()
    {
        var refusal = new ApprovalRefusal("approval-step-0123456789abcdef-0123456789abcdef", ApprovalRefusalReason.Denied, "petition closed", "bob@acme.test", "pet-1");
        var h = SubOrchestration(() => new ApprovalStepResult(null, refusal));

        var result = await h.Context.Object.TryRequestApprovalAsync(Request());

        Assert.False(result.IsGranted);
        Assert.Same(refusal, result.Refusal);
    }
}
