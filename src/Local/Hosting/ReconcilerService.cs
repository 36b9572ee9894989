using Approvals.Core.Workflow;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Approvals.Local.Hosting;

/// <summary>The local host's access reconciler, on either engine: one pass as soon as the host has started (what an
/// earlier run left — an in-memory engine loses its workflows with its process, the ledger file does not), then one every
/// <see cref="ReconcileOptions.Interval"/> (<c>APPROVALS_RECONCILE_SCHEDULE</c>), as the Functions app's timer trigger runs
/// in Azure.</summary>
public sealed class ReconcilerService(IServiceProvider services, IOptions<ReconcileOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<ReconcilerService> logger) : BackgroundService
{
    /// <summary>Completed passes since start (tests wait on it rather than sleep).</summary>
    public int Passes => Volatile.Read(ref passes);

    int passes;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After the host (and its durable worker) is up: the pass asks the engine whether each grant's workflow still runs.
        var started = new TaskCompletionSource();
        await using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        await using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await using var scope = services.CreateAsyncScope();
                var reconciler = scope.ServiceProvider.GetRequiredService<AccessReconciler>();
                await reconciler.RunOnceAsync(scope.ServiceProvider.GetRequiredService<DurableTaskClient>(), stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A pass that fails (the directory or the engine unreachable) is tried again at the next tick.
                logger.LogWarning("Access reconcile pass failed: {Error}", e.Message);
            }

            Interlocked.Increment(ref passes);
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
