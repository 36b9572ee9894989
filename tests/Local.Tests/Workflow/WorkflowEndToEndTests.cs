using System.Diagnostics;
using System.Net;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Approvals.Local.Tests.Workflow;

/// <summary>The real orchestrator on the embedded durable engine against the emulator over HTTP: each outcome end to
/// end, with the action counted in the local user directory.</summary>
public sealed class WorkflowEndToEndTests(ITestOutputHelper output)
{
    static string User() => "u" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task WebhookGrant_CompletesWithoutWaitingForPoll_ResetsOnce()
    {
        // Polls start at 60 s, so only the webhook can finish this within the test.
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        var clock = Stopwatch.StartNew();
        host.ApproveAsAPerson(waiting.Petition!);
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Completed, 10_000);
        clock.Stop();

        output.WriteLine($"approve claim to completed: {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, done.PollCount);
        Assert.Equal(1, host.Resets(user));
        Assert.Equal("bob@local", done.DecidedBy);
        Assert.StartsWith("local-secret://tmp-pw-", done.Result!.CredentialReference, StringComparison.Ordinal);
        Assert.True(done.Result.ForceChangeAtNextSignIn);
        Assert.True(host.Users.Find(user)!.MustChangePassword);
    }

    [Fact]
    public async Task PollGrant_WhenWebhooksAreLost_StillCompletes()
    {
        await using var host = await TestHost.StartAsync();
        host.Faults.Set(new FaultSpec { DropWebhooks = 1000 });
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        host.ApproveAsAPerson(waiting.Petition!);
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        Assert.True(done.PollCount >= 1);
        Assert.Equal(1, host.Resets(user));
    }

    [Fact]
    public async Task Deny_EndsDenied_NoReset()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        await host.Indent.DenyAsync(waiting.Petition!, "not today");
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Denied);

        Assert.Equal("workflow@acme.test", done.DecidedBy);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task RevokedBeforeTheWorkflowActs_NoReset()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "2" });
        host.Faults.Set(new FaultSpec { DropWebhooks = 1000 });
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        host.ApproveAsAPerson(waiting.Petition!);
        await host.Indent.RevokeAsync(waiting.Petition!, "mistake");
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Denied);

        Assert.Contains("revoked", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task SignedGrantWebhook_ButApiSaysOpen_NoAction()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        for (var i = 0; i < 3; i++)
        {
            using var response = await host.SendWebhookAsync(new IndentEvent
            {
                EventType = IndentEventTypes.Grant,
                Id = "forged-" + i,
                Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Petition] = waiting.Petition! } },
                Resources = [new Resource { Kind = "action", Id = "reset-password:" + user, Labels = new Dictionary<string, string> { [WorkflowLabels.Instance] = id } }],
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Wait for the event, not a time: all three forged grants have reached the workflow and been read back.
        var history = "";
        for (var until = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < until; await Task.Delay(25))
        {
            history = await host.Http.GetStringAsync($"api/approvals/{id}/history");
            if (history.Split("\"IndentDecision\"").Length - 1 == 3 && history.Split("\"GetPetitionActivity\"").Length + history.Split("\"VerifyAndActActivity\"").Length - 2 >= 3)
            {
                break;
            }
        }

        var view = await host.ViewAsync(id);
        Assert.Equal(ApprovalStatuses.AwaitingApproval, view.Status);
        Assert.Equal(0, host.Resets(user));
        Assert.Equal(3, history.Split("\"IndentDecision\"").Length - 1);

        await host.Indent.DenyAsync(waiting.Petition!);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Denied);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task Deadline_Expires_ClosesPetition_NoReset()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var id = await host.StartResetAsync(user, deadlineSeconds: 5);
        var waiting = await host.WaitForPetitionAsync(id);

        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Expired, 15_000);

        Assert.Equal(IndentPhases.Closed, (await host.Indent.GetPetitionAsync(waiting.Petition!)).Phase);
        Assert.Equal(0, host.Resets(user));
        Assert.Equal(ApprovalStatuses.Expired, done.Status);
    }

    [Fact]
    public async Task Cancel_Cancels_ClosesPetition_SecondCancelConflicts()
    {
        await using var host = await TestHost.StartAsync();
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Cancelled);
        using var again = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);
        Assert.Equal(IndentPhases.Closed, (await host.Indent.GetPetitionAsync(waiting.Petition!)).Phase);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task IndentOutageDuringCreateAndPoll_CompletesOnceRecovered_OnePetition()
    {
        await using var host = await TestHost.StartAsync();
        host.Faults.Set(new FaultSpec { Status = 503, Count = 12, RetryAfterSeconds = 0 });
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);
        host.Faults.Set(new FaultSpec { Status = 500, Count = 6, PathContains = "/petitions/" });

        host.ApproveAsAPerson(waiting.Petition!);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed, 30_000);

        Assert.Equal(1, host.Resets(user));
        Assert.Single(host.Emulator.All(), p => p.Meta?.Labels is { } l && l.TryGetValue(WorkflowLabels.Instance, out var v) && v == id);
    }

    [Fact]
    public async Task GrantBeforeTheWorkflowWaits_AutoApprovedAtCreation_ResetsOnce()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0);
        var user = User();
        var id = await host.StartResetAsync(user);

        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        Assert.Equal(1, host.Resets(user));
    }

    [Fact]
    public async Task DuplicateWebhooks_ExactlyOneReset()
    {
        await using var host = await TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });
        host.Faults.Set(new FaultSpec { DuplicateWebhooks = 100 });
        var user = User();
        var id = await host.StartResetAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);

        host.ApproveAsAPerson(waiting.Petition!);
        var grant = new IndentEvent
        {
            EventType = IndentEventTypes.Grant,
            Id = "dup",
            Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Petition] = waiting.Petition! } },
        };
        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => host.SendWebhookAsync(grant)));
        // Completed means the action has finished and the instance takes no more events: the count is final.
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        Assert.Equal(1, host.Resets(user));
    }

    [Fact]
    public async Task LateGrantWebhook_ForAFinishedOrUnknownApproval_AcknowledgedAndNeverEnqueued()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0.2);
        var engine = host.Host.Services.GetRequiredService<Approvals.Local.Engine.DurableEngine>().Service;
        var user = User();
        var id = await host.StartResetAsync(user);
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);
        IndentEvent Grant(string instance) => new()
        {
            EventType = IndentEventTypes.Grant,
            Meta = new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Petition] = done.Petition! } },
            Resources = [new Resource { Kind = "user", Labels = new Dictionary<string, string> { [WorkflowLabels.Instance] = instance } }],
        };

        var before = engine.DroppedEvents;
        using var late = await host.SendWebhookAsync(Grant(id));
        var afterLate = engine.DroppedEvents;
        using var unknown = await host.SendWebhookAsync(Grant(ApprovalIds.New(WorkflowLabels.ResetPasswordAction, "nobody")));

        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.True(afterLate > before, "the event for the finished approval was enqueued");
        Assert.Equal(afterLate + 1, engine.DroppedEvents);
        Assert.Equal(1, host.Resets(user));
    }

    [Fact]
    public async Task History_HasDurableStepsAndPetitionEvents()
    {
        await using var host = await TestHost.StartAsync(autoApprove: 0.2);
        var id = await host.StartResetAsync(User());
        await host.WaitForStatusAsync(id, ApprovalStatuses.Completed);

        var history = await host.Http.GetStringAsync($"api/approvals/{id}/history");

        foreach (var expected in new[] { "ExecutionStarted", nameof(CreatePetitionActivity), nameof(VerifyAndActActivity), "ExecutionCompleted", "access/request", "access/approve", "access/grant", IndentEmulator.AutoApprover })
        {
            Assert.Contains(expected, history, StringComparison.Ordinal);
        }
    }
}
