using Approvals.Core.Indent;
using Approvals.Core.Secrets;
using Approvals.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Approvals.Core.Tests.Indent;

/// <summary>The quickstart, driven against a loopback Indent whose petition changes phase after a number of reads.
/// The approval's clock is a fake one that runs fast, so the seed's 2 s / 4 s / 8 s schedule is checked exactly.</summary>
public sealed class IndentApprovalsTests
{
    sealed class LinesProgress : IProgress<ApprovalProgress>
    {
        public List<string> Lines { get; } = [];
        public void Report(ApprovalProgress value) => Lines.Add(value.ToString()!);
    }

    static async Task<(IndentApprovalResult Result, List<string> Lines, LoopbackServer Server)> RunAsync(Func<int, string> phaseOnRead, ApprovalRequest? request = null)
    {
        var reads = 0;
        var server = await LoopbackServer.StartAsync((ctx, req) =>
        {
            var phase = req.Method == "POST" ? "open" : phaseOnRead(Interlocked.Increment(ref reads));
            return LoopbackServer.WriteJsonAsync(ctx, """{"name":"aec1b116-42b3-11ee-824e-42010aac000d","state":{"status":{"phase":"PHASE"}}}""".Replace("PHASE", phase, StringComparison.Ordinal));
        });
        var services = IndentClientFactory.Build(server.BaseAddress);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var stop = new CancellationTokenSource();
        var flies = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(1);
                clock.Advance(TimeSpan.FromMilliseconds(250));
            }
        });
        var approvals = new IndentApprovals(services.GetRequiredService<IndentClient>(), services.GetRequiredService<ISecretProvider>(), clock, NullLogger<IndentApprovals>.Instance);
        var progress = new LinesProgress();
        try
        {
            var result = await approvals.RequestAsync(request ?? new ApprovalRequest
            {
                Reason = "to recover account",
                Resources = [new Resource { Kind = "action", Id = "reset-password:123", DisplayName = "Reset Password (user:123)" }],
            }, progress);
            return (result, progress.Lines, server);
        }
        finally
        {
            await stop.CancelAsync();
            await flies;
            await services.DisposeAsync();
        }
    }

    [Fact]
    public async Task RequestAsync_GrantedOnFourthPoll_PrintsTheSeedLines()
    {
        var (result, lines, server) = await RunAsync(read => read >= 4 ? "granted" : "open");
        await using var _ = server;

        Assert.Equal(ApprovalOutcome.Granted, result.Outcome);
        Assert.Equal(
        [
            "⏵ Requested approval #acmecorp/aec1b116-42b3-11ee-824e-42010aac000d",
            "↳ Waiting for approval... (2s elapsed)",
            "↳ Waiting for approval... (4s elapsed)",
            "↳ Waiting for approval... (8s elapsed)",
            "✅ Granted",
        ], lines);
    }

    [Fact]
    public async Task RequestAsync_ClosedAfterDeny_ReturnsDenied()
    {
        var (result, lines, server) = await RunAsync(read => read >= 2 ? "closed" : "open");
        await using var _ = server;

        Assert.Equal(ApprovalOutcome.Denied, result.Outcome);
        Assert.Equal(["⏵ Requested approval #acmecorp/aec1b116-42b3-11ee-824e-42010aac000d", "↳ Waiting for approval... (2s elapsed)", "❌ Denied"], lines);
    }

    [Fact]
    public async Task RequestAsync_RevokedBeforeRead_ReturnsRevoked()
    {
        var (result, _, server) = await RunAsync(_ => "revoked");
        await using var __ = server;

        Assert.Equal(ApprovalOutcome.Revoked, result.Outcome);
    }

    [Fact]
    public async Task RequestAsync_NeverDecided_TimesOutAtTenSeconds()
    {
        var (result, lines, server) = await RunAsync(_ => "open");
        await using var _ = server;

        Assert.Equal(ApprovalOutcome.TimedOut, result.Outcome);
        Assert.Equal("⌛ Timed out waiting for approval", lines[^1]);
        Assert.Equal(["(2s", "(4s", "(8s"], lines.Where(l => l.StartsWith('↳')).Select(l => l.Split(' ')[^2]));
        // Polls at 2, 4, 8 and a last one at the 10 s deadline.
        Assert.Equal(4, server.Requests.Count(r => r.Method == "GET"));
        Assert.True(result.Elapsed >= TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task RequestAsync_NoPetitioner_UsesTokenSubject()
    {
        var (_, _, server) = await RunAsync(_ => "granted");
        await using var _ = server;

        var post = server.Requests.First(r => r.Method == "POST");
        Assert.Contains("\"petitioners\":[{\"id\":\"petra@example.com\",\"kind\":\"user\",\"email\":\"petra@example.com\"}]", post.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestAsync_Cancelled_StopsWaiting()
    {
        // Cancelled the moment Indent has the petition (an event, not a time): nothing more is asked of Indent.
        using var cancel = new CancellationTokenSource();
        await using var server = await LoopbackServer.StartAsync(async (ctx, _) =>
        {
            await cancel.CancelAsync();
            await LoopbackServer.WriteJsonAsync(ctx, """{"name":"p","state":{"status":{"phase":"open"}}}""");
        });
        await using var services = IndentClientFactory.Build(server.BaseAddress);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => services.GetRequiredService<IndentApprovals>().RequestAsync(
            new ApprovalRequest { Reason = "r", Resources = [new Resource { Kind = "action", Id = "x" }] }, null, cancel.Token));

        Assert.Single(server.Requests);
    }
}
