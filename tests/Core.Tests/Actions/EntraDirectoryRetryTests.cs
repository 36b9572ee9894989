using Approvals.Core.Actions;
using Approvals.Core.Tests.Support;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Core.Tests.Actions;

/// <summary>The Graph client's resilience pipeline as registered by <see cref="ApprovalsServiceCollectionExtensions.AddEntraDirectory"/>:
/// a password PATCH is retried only when Graph refused it before doing anything (429, 503); after a failure that may have
/// landed it is not written again here (the reset's own retry decides from the directory); reads keep the standard retries.</summary>
public sealed class EntraDirectoryRetryTests
{
    static async Task<(LoopbackServer Graph, IUserDirectory Directory, ServiceProvider Services)> StartAsync(int firstStatus, string method, string retryAfter = "0")
    {
        var first = 0;
        var graph = await LoopbackServer.StartAsync((ctx, req) =>
        {
            if (req.Method == method && Interlocked.Increment(ref first) == 1)
            {
                ctx.Response.Headers.RetryAfter = retryAfter;
                return LoopbackServer.WriteJsonAsync(ctx, "{\"error\":{\"code\":\"x\",\"message\":\"first attempt\"}}", firstStatus);
            }

            return req.Method == "GET"
                ? LoopbackServer.WriteJsonAsync(ctx, "{\"lastPasswordChangeDateTime\":null}")
                : Task.CompletedTask.ContinueWith(_ => ctx.Response.StatusCode = 204, TaskScheduler.Default);
        });
        var services = new ServiceCollection()
            .AddSingleton<TokenCredential>(new FakeKeyVault.StaticCredential())
            .AddEntraDirectory(new Uri(graph.BaseAddress, "v1.0/"))
            .BuildServiceProvider();
        return (graph, services.GetRequiredService<IUserDirectory>(), services);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task PasswordPatch_RefusedBeforeAnything_RetriedOnce_OneWrite(int status)
    {
        var (graph, directory, services) = await StartAsync(status, "PATCH");
        await using var owner = graph;
        using var _ = services;

        await directory.SetTemporaryPasswordAsync("u1", "Tmp-Pa55word!xyz");

        Assert.Equal(2, graph.Requests.Count(r => r.Method == "PATCH"));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    public async Task PasswordPatch_AFailureThatMayHaveLanded_NotRetriedHere(int status)
    {
        var (graph, directory, services) = await StartAsync(status, "PATCH");
        await using var owner = graph;
        using var _ = services;

        await Assert.ThrowsAsync<GraphRefusedException>(() => directory.SetTemporaryPasswordAsync("u1", "Tmp-Pa55word!xyz"));

        Assert.Equal(1, graph.Requests.Count(r => r.Method == "PATCH"));
    }

    [Fact]
    public async Task Read_A500_RetriedByTheStandardPipeline()
    {
        var (graph, directory, services) = await StartAsync(500, "GET");
        await using var owner = graph;
        using var _ = services;

        var changed = await directory.GetPasswordChangedAtAsync("u1");

        Assert.Null(changed);
        Assert.Equal(2, graph.Requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task PasswordPatch_ThrottledLongerThanTheStandard30s_WaitedOut_ThenOneWrite()
    {
        // Graph may ask for a wait of minutes (https://learn.microsoft.com/en-us/graph/throttling); a call made by the
        // workflow has GraphResilience.ActivityTimeout for it, not the standard handler's 30 s (which would cancel the
        // wait and read as "may have landed").
        var (graph, directory, services) = await StartAsync(429, "PATCH", retryAfter: "32");
        await using var owner = graph;
        using var _ = services;

        await directory.SetTemporaryPasswordAsync("u1", "Tmp-Pa55word!xyz");

        var patches = graph.Requests.Where(r => r.Method == "PATCH").ToList();
        Assert.Equal(2, patches.Count);
        var coarseTick = TimeSpan.FromMilliseconds(20); // .NET timers tick on CLOCK_MONOTONIC_COARSE
        Assert.True(patches[1].At - patches[0].At >= TimeSpan.FromSeconds(32) - coarseTick, $"retried {patches[1].At - patches[0].At} after a Retry-After of 32 s");
    }

    [Fact]
    public async Task PasswordPatch_ThrottledLongerThanTheCallsTime_RefusedAtOnce_NothingWritten()
    {
        // A wait that cannot fit in the call's time is not begun: Graph's 429 comes back as it is (refused, nothing done),
        // never a timeout after minutes.
        var (graph, directory, services) = await StartAsync(429, "PATCH", retryAfter: "240");
        await using var owner = graph;
        using var _ = services;
        var started = DateTimeOffset.UtcNow;

        var refused = await Assert.ThrowsAsync<GraphRefusedException>(() => directory.SetTemporaryPasswordAsync("u1", "Tmp-Pa55word!xyz"));

        Assert.Equal(System.Net.HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(1, graph.Requests.Count(r => r.Method == "PATCH"));
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(20), $"took {DateTimeOffset.UtcNow - started}");
    }
}
