using System.Reflection;
using System.Runtime.Loader;

namespace Approvals.Local.Tests.Samples;

/// <summary>Loads the built sample and the Approvals.Core it was restored with (the package's, from the sample's output)
/// apart from this test's own Approvals.Core (a project reference); everything else — Durable Task, hosting, Azure.Core —
/// is shared with the test, so the sample's tasks run on a worker the test builds. What the test process lacks (the
/// Functions worker) comes from the sample's output too.</summary>
public sealed class SampleLoadContext : AssemblyLoadContext
{
    readonly string directory;

    public SampleLoadContext(string directory)
        : base("sample", isCollectible: false)
    {
        this.directory = directory;
        Resolving += (_, name) => File.Exists(PathOf(name)) ? LoadFromAssemblyPath(PathOf(name)) : null;
    }

    string PathOf(AssemblyName name) => Path.Combine(directory, name.Name + ".dll");

    protected override Assembly? Load(AssemblyName assemblyName) =>
        assemblyName.Name is "KeyRotation" || assemblyName.Name!.StartsWith("Approvals.", StringComparison.Ordinal)
            ? LoadFromAssemblyPath(PathOf(assemblyName))
            : null;
}
