using Approvals.Core.Step;
using Microsoft.DurableTask;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KeyRotation;

/// <summary>What the app registers: the approval step's services (from the Approvals.Core package) and its own key store.</summary>
public static class KeyRotationSetup
{
    /// <summary>The store's folder: <c>KEYROTATION_STORE_DIR</c>, else a folder under the temp directory.</summary>
    public const string StoreSetting = "KEYROTATION_STORE_DIR";

    public static IServiceCollection AddKeyRotation(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddApprovalStep(configuration);
        var folder = configuration[StoreSetting] is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "keyrotation-sample");
        services.TryAddSingleton<IKeyStore>(_ => new FileKeyStore(folder));
        services.TryAddTransient<RotateKeyActivity>();
        return services;
    }

    /// <summary>The app's orchestrator and activity with the approval step's, for a Durable Task worker (the Functions app
    /// binds them in <see cref="KeyRotationFunctions"/> instead).</summary>
    public static DurableTaskRegistry AddKeyRotationTasks(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.AddApprovalStep().AddOrchestrator<KeyRotationOrchestrator>().AddActivity<RotateKeyActivity>();
    }
}
