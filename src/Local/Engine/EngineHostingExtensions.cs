using Approvals.Core.Http;
using Approvals.Core.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Approvals.Local.Engine;

/// <summary>Puts the embedded durable engine in a host: the engine itself (started first), the durable worker running
/// Core's tasks (<see cref="ApprovalsTasks"/>), the durable client, and the engine's own history for the audit trail.</summary>
public static class EngineHostingExtensions
{
    public static WebApplicationBuilder AddLocalEngine(this WebApplicationBuilder builder, EngineOptions options, Action<Microsoft.DurableTask.DurableTaskRegistry>? addTasks = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services
            .AddSingleton(options)
            .AddSingleton(sp => new DurableEngine(options, sp.GetRequiredService<ILoggerFactory>()));
        // Registered before the worker: hosted services start in order, so the sidecar listens before the worker connects.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DurableEngine>());
        builder.Services.Replace(ServiceDescriptor.Singleton<IApprovalHistorySource, EngineHistorySource>());
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.Services.AddOptions<Microsoft.DurableTask.Worker.Grpc.GrpcDurableTaskWorkerOptions>(worker.Name)
                .Configure<DurableEngine>((grpc, engine) => grpc.Channel = engine.Channel);
            worker.UseGrpc();
            worker.Configure(o =>
            {
                o.Concurrency.MaximumConcurrentOrchestrationWorkItems = 1000;
                o.Concurrency.MaximumConcurrentActivityWorkItems = 1000;
            });
            // Orchestration versions as host.json sets them for the Functions app: this worker runs instances of its
            // version or older and leaves newer ones in the task hub for a newer worker (WorkflowVersions).
            worker.UseVersioning(WorkflowVersions.WorkerOptions());
            worker.AddTasks(tasks =>
            {
                tasks.AddApprovalsTasks();
                // The packaged approval step's one activity the workflow does not share, so that a caller's orchestrator
                // run on this host (its own and ApprovalStepOrchestrator, registered through addTasks) can ask for approval.
                tasks.AddActivity<Core.Step.ResolveRequesterActivity>();
                addTasks?.Invoke(tasks);
            });
        });
        builder.Services.AddDurableTaskClient(client =>
        {
            client.Services.AddOptions<Microsoft.DurableTask.Client.Grpc.GrpcDurableTaskClientOptions>(client.Name)
                .Configure<DurableEngine>((grpc, engine) => grpc.Channel = engine.Channel);
            client.UseGrpc();
            client.UseDefaultVersion(WorkflowVersions.Current);
            client.RegisterDirectly();
        });
        return builder;
    }
}
