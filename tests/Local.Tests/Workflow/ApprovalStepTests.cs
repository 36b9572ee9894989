using System.Text.Json;
using Approvals.Core.Identity;
using Approvals.Core.Indent;
using ApprovalRequest = Approvals.Core.Step.ApprovalRequest;
using Approvals.Core.Step;
using Approvals.Core.Workflow;
using Approvals.Local.Tests.Support;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Approvals.Local.Tests.Workflow;

/// <summary>A caller's orchestrator, as another app would write it: asks for approval through the step, under an id it
/// shows in its custom status, and returns what the step said.</summary>
public sealed class StepCallerOrchestrator : TaskOrchestrator<string, ApprovalStepResult>
{
    public override async Task<ApprovalStepResult> RunAsync(TaskOrchestrationContext context, string input)
    {
        ArgumentNullException.ThrowIfNull(context);
        var step = ApprovalStep.NewInstanceId(context);
        context.SetCustomStatus(step);
        // The poll is a minute away: a decision seen within the tests' bound came through the webhook.
        return await context.TryRequestApprovalAsync(
            new ApprovalRequest(input, new ApprovalResource("secret", "storage-key:prod", "Production storage key"), new Requester(TestHost.CallerId, TestHost.Caller, "Helpdesk"), TimeSpan.FromMinutes(10))
            {
                PollInitial = TimeSpan.FromSeconds(60),
                PollMax = TimeSpan.FromSeconds(60),
            },
            step);
    }
}

/// <summary>One host whose worker also runs a caller's orchestrator and the approval step.</summary>
public sealed class StepHost : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await TestHost.StartAsync(addTasks: tasks => tasks.AddOrchestrator<StepCallerOrchestrator>().AddOrchestrator<ApprovalStepOrchestrator>());

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The approval step as a sub-orchestration on the embedded engine, against the Indent emulator: the webhook
/// route finds the step's instance from the petition's label and wakes it; the step verifies and applies four eyes.</summary>
public sealed class ApprovalStepTests(StepHost fixture) : IClassFixture<StepHost>
{
    const int Bound = 30_000;

    async Task<(string Caller, string Step, string Petition)> StartAsync()
    {
        var host = fixture.Host;
        var caller = await host.Durable.ScheduleNewOrchestrationInstanceAsync(nameof(StepCallerOrchestrator), "rotate the key " + Guid.NewGuid().ToString("N")[..8]);
        var step = await WaitAsync(caller, i => i.SerializedCustomStatus is not null);
        var stepId = JsonSerializer.Deserialize<string>(step.SerializedCustomStatus!)!;
        var waiting = await WaitAsync(stepId, i => Progress(i) is { Status: ApprovalStatuses.AwaitingApproval, Petition: not null });
        return (caller, stepId, Progress(waiting)!.Petition!);
    }

    static ApprovalProgressStatus? Progress(OrchestrationMetadata instance) =>
        instance.SerializedCustomStatus is { } json ? JsonSerializer.Deserialize<ApprovalProgressStatus>(json, JsonSerializerOptions.Web) : null;

    async Task<OrchestrationMetadata> WaitAsync(string id, Func<OrchestrationMetadata, bool> until)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (true)
        {
            var instance = await fixture.Host.Durable.GetInstanceAsync(id, getInputsAndOutputs: true, bound.Token);
            if (instance is not null && until(instance))
            {
                return instance;
            }

            await Task.Delay(20, bound.Token);
        }
    }

    async Task<ApprovalStepResult> ResultAsync(string caller)
    {
        using var bound = new CancellationTokenSource(Bound);
        var done = await fixture.Host.Durable.WaitForInstanceCompletionAsync(caller, getInputsAndOutputs: true, bound.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        return done.ReadOutputAs<ApprovalStepResult>()!;
    }

    [Fact]
    public async Task ApprovedByAnotherPerson_WebhookWakesTheSubOrchestration_VerifiedGrant()
    {
        var (caller, step, petition) = await StartAsync();

        fixture.Host.ApproveAsAPerson(petition);
        var result = await ResultAsync(caller);

        Assert.True(result.IsGranted, result.Refusal?.Detail);
        Assert.Equal("bob", result.Grant!.ApproverId);
        Assert.Equal(step, result.Grant.InstanceId);
        Assert.Equal(petition, result.Grant.Petition);
        var stepDone = await WaitAsync(step, i => i.RuntimeStatus == OrchestrationRuntimeStatus.Completed);
        Assert.Equal(0, Progress(stepDone)!.PollCount); // woken by the webhook, never by its poll
        var resource = Assert.Single((await fixture.Host.Indent.GetPetitionAsync(petition)).Resources!);
        Assert.Equal(step, resource.Labels![WorkflowLabels.Instance]);
    }

    [Fact]
    public async Task ApprovedByTheRequester_FourEyesRefuses_GrantRevoked()
    {
        var (caller, _, petition) = await StartAsync();

        fixture.Host.ApproveAsAPerson(petition, TestHost.Caller);
        var result = await ResultAsync(caller);

        Assert.False(result.IsGranted);
        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);
        Assert.Contains("four eyes: approved by the requester", result.Refusal.Detail, StringComparison.Ordinal);
        Assert.NotEqual(IndentPhases.Granted, (await fixture.Host.Indent.GetPetitionAsync(petition)).Phase);
    }

    [Fact]
    public async Task Denied_TypedRefusal()
    {
        var (caller, _, petition) = await StartAsync();

        fixture.Host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var result = await ResultAsync(caller);

        Assert.Equal(ApprovalRefusalReason.Denied, result.Refusal!.Reason);
        Assert.Equal("bob@local", result.Refusal.DecidedBy);
    }
}
