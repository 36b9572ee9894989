using System.Net;
using System.Net.Http.Json;
using Approvals.Core.Actions;
using Approvals.Core.Http;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Engine;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Workflow;

/// <summary>The action's edges on the real embedded engine against the emulator; resets are counted from the local
/// directory's own log.</summary>
public sealed class ActionEdgeTests
{
    static string User() => "e" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Webhooks only: polls start at a minute, so every read in these tests is one the test caused.</summary>
    static Task<TestHost> StartAsync() =>
        TestHost.StartAsync(new() { ["APPROVALS_POLL_INITIAL_SECONDS"] = "60", ["APPROVALS_POLL_MAX_SECONDS"] = "60" });

    /// <summary>A reset for a fresh user, started and waiting on its petition.</summary>
    static async Task<(string User, string Id, string Petition)> WaitingApprovalAsync(TestHost host)
    {
        var user = User();
        var id = await host.StartResetAsync(user);
        return (user, id, (await host.WaitForPetitionAsync(id)).Petition!);
    }

    static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 15_000)
    {
        var until = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    static int ScheduledReads(TestHost host, string id) =>
        host.Host.Services.GetRequiredService<DurableEngine>().Service.RecordedHistory(id)?
            .OfType<DurableTask.Core.History.TaskScheduledEvent>().Count(e => e.Name is nameof(GetPetitionActivity) or nameof(VerifyAndActActivity)) ?? 0;

    [Fact]
    public async Task Cancel_WhileTheGrantIsBeingRead_WinsTheFence_202_Cancelled_NoReset()
    {
        // The read that finds the grant is also the action (one activity), but it claims the approval's fence only once
        // the grant is verified: a cancel arriving while the read is in flight claims it first, and the 202 holds.
        await using var host = await StartAsync();
        var (user, id, petition) = await WaitingApprovalAsync(host);
        host.Faults.Set(new FaultSpec { LatencyMs = 2000, Method = "GET", PathContains = "/petitions/" + petition });

        host.ApproveAsAPerson(petition);
        await WaitUntilAsync(() => ScheduledReads(host, id) >= 1, "the read-and-act is in flight");
        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Cancelled, done.Status);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task Cancel_AfterTheActionIsScheduled_Refused409_ResetOnce()
    {
        await using var host = await StartAsync();
        var (user, id, petition) = await WaitingApprovalAsync(host);
        // The action's first attempt fails (every try the Graph client's resilience pipeline makes: 1 + 3 retries), so the
        // approval stays "approved" a while.
        host.Users.FailNextWrites(4);

        host.ApproveAsAPerson(petition);
        await host.WaitForStatusAsync(id, ApprovalStatuses.Approved);
        using var cancel = await host.Http.PostAsync($"api/approvals/{id}/cancel", null);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal(1, host.Resets(user));
    }

    [Fact]
    public async Task Revoke_WhileTheActionIsBeingRetried_EndsDenied_NoReset()
    {
        await using var host = await StartAsync();
        var (user, id, petition) = await WaitingApprovalAsync(host);
        host.Users.FailNextWrites(4); // every try of the action's first attempt (the Graph client's 1 + 3)

        host.ApproveAsAPerson(petition);
        await WaitUntilAsync(() => host.Users.PendingWriteFailures == 0, "the first attempt failed");
        await host.Indent.RevokeAsync(petition, "changed my mind");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Contains("revoked", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, host.Resets(user));
    }

    [Fact]
    public async Task CredentialStoreFailsAfterTheWrite_Completed_WithTheReference_OneWrite()
    {
        await using var host = await StartAsync();
        var (user, id, petition) = await WaitingApprovalAsync(host);
        host.Host.Services.GetRequiredService<FileCredentialStore>().FailNextMarks(100);

        host.ApproveAsAPerson(petition);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.NotNull(done.Result?.CredentialReference);
        Assert.Equal(1, host.Resets(user));
        var stored = await host.Host.Services.GetRequiredService<FileCredentialStore>().GetAsync(PasswordResetService.CredentialName(id));
        Assert.True(host.Users.Verify(user, stored!.Value), "the user holds the credential the approval reports");
    }

    [Fact]
    public async Task TwoOverlappingDeliveriesOfTheAction_AdoptOneCredential_UserHoldsTheRecordedOne()
    {
        await using var host = await StartAsync();
        var activity = host.Host.Services.GetRequiredService<ResetPasswordActivity>();
        var store = host.Host.Services.GetRequiredService<FileCredentialStore>();
        for (var i = 0; i < 10; i++)
        {
            var user = User();
            host.Know(user);
            var input = new ResetPasswordInput($"reset-password-{user}-0123456789abcdef", user, "petition-" + i);

            var outcomes = await Task.WhenAll(
                Task.Run(() => activity.RunAsync(null!, input)),
                Task.Run(() => activity.RunAsync(null!, input)));

            var stored = await store.GetAsync(PasswordResetService.CredentialName(input.InstanceId));
            Assert.Equal(outcomes[0].CredentialReference, outcomes[1].CredentialReference);
            Assert.True(host.Users.Verify(user, stored!.Value), $"pair {i}: the user holds the recorded credential");
        }
    }

    [Fact]
    public async Task StatusLinks_BehindAProxy_NameThePublicHttpsHost()
    {
        await using var host = await StartAsync();
        var user = User();
        host.Know(user);
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/password-resets?code=k3y")
        {
            Content = JsonContent.Create(new PasswordResetBody { UserId = user, Reason = "to recover account" }, ApiJsonContext.Default.PasswordResetBody),
        };
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "approvals.example.com");

        using var response = await host.Http.SendAsync(request);
        var started = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.StartedResponse);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.StartsWith("https://approvals.example.com/api/approvals/", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("?code=k3y", started!.StatusQueryGetUri, StringComparison.Ordinal);
        Assert.StartsWith("https://approvals.example.com/", started.CancelPostUri, StringComparison.Ordinal);
    }
}
